namespace Specula.Hub;

/// <summary>What a download is doing right now.</summary>
public enum DownloadStage
{
    /// <summary>Re-reading the bytes of an earlier partial download to continue its checksum.</summary>
    CheckingPartial,
    /// <summary>Receiving bytes.</summary>
    Downloading,
    /// <summary>The connection failed; waiting to resume with a range request (see <see cref="DownloadProgress.Message"/>).</summary>
    Retrying,
    /// <summary>The file is complete, verified and in place.</summary>
    Completed,
}

/// <summary>
/// A progress report for one file of a pull. Reports are sent at most every ~100 ms per file plus once at
/// each stage change, so a consumer may draw each one.
/// </summary>
/// <param name="File">The file's path in the repository.</param>
/// <param name="FileIndex">1-based position of the file among the files of this pull (split parts).</param>
/// <param name="FileCount">How many files this pull downloads.</param>
/// <param name="BytesDone">Bytes of this file on disk so far (including bytes resumed from an earlier run).</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="ResumedFrom">Bytes that were already on disk when this download started (0 for a fresh one).</param>
/// <param name="Message">For <see cref="DownloadStage.Retrying"/>: what went wrong and what happens next.</param>
public readonly record struct DownloadProgress(
    string File, int FileIndex, int FileCount, DownloadStage Stage, long BytesDone, long TotalBytes, long ResumedFrom, string? Message = null);
