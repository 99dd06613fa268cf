using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Specula.Hub;

/// <summary>
/// Downloads one hub file to a local path, safely:
/// <list type="bullet">
/// <item>bytes are streamed to <c>PATH.partial</c> in chunks and hashed as they arrive (no whole-file buffering,
/// no second pass over a fresh download);</item>
/// <item>a <c>.partial</c> left by an earlier run is continued with an HTTP <c>Range</c> request, and so is a
/// connection that drops mid-file (a few tries in a row without progress before giving up);</item>
/// <item>the result must have the size and digest the hub's tree listing published; only then is it renamed to
/// PATH, so PATH never holds an incomplete or unverified file. A digest mismatch deletes the partial file.</item>
/// </list>
/// </summary>
public sealed class FileDownloader(HubClient hub)
{
    const int BufferSize = 1 << 20;
    /// <summary>Suffix of a file being downloaded.</summary>
    public const string PartialSuffix = ".partial";
    static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>The file a download of <paramref name="destination"/> writes to until it is complete and verified.</summary>
    public static string PartialPath(string destination) => destination + PartialSuffix;

    /// <summary>Downloads <paramref name="file"/> of <paramref name="repoId"/> to <paramref name="destination"/>.</summary>
    /// <param name="fileIndex">1-based position of this file in the pull, for progress reports.</param>
    /// <param name="fileCount">Number of files in the pull, for progress reports.</param>
    public async Task DownloadAsync(string repoId, HubFile file, string destination, int fileIndex, int fileCount,
                                    IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        var partialPath = PartialPath(destination);
        var report = new ProgressReporter(progress, file, fileIndex, fileCount);

        var partial = OpenPartial(partialPath, file);
        try
        {
            if (partial.Length > file.Size) partial.SetLength(0); // cannot be a prefix of this file: start over
            report.ResumedFrom = partial.Length;

            using var hasher = file.Digest.CreateHasher(file.Size);
            await HashExistingAsync(partial, hasher, report, cancellationToken).ConfigureAwait(false);
            await ReceiveRestAsync(repoId, file, partial, hasher, report, cancellationToken).ConfigureAwait(false);

            var actual = hasher.GetHashAndReset();
            if (!file.Digest.Matches(actual))
                throw new HubIntegrityException(
                    $"'{file.Path}' from {repoId} failed verification: expected {file.Digest}, got {Convert.ToHexStringLower(actual)}; " +
                    "the download was deleted, run the pull again");
            partial.Flush(flushToDisk: true);
        }
        catch (HubIntegrityException)
        {
            // Bytes that do not verify are worthless, also as a prefix to resume from.
            await partial.DisposeAsync().ConfigureAwait(false);
            File.Delete(partialPath);
            throw;
        }
        finally
        {
            await partial.DisposeAsync().ConfigureAwait(false);
        }
        File.Move(partialPath, destination, overwrite: true);
        report.Send(DownloadStage.Completed, file.Size, force: true);
    }

    static FileStream OpenPartial(string partialPath, HubFile file)
    {
        try
        {
            // FileShare.None also locks the file against a second process pulling the same model.
            return new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
        }
        catch (IOException ex) when (File.Exists(partialPath) && ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new HubException($"'{file.Path}' is already being downloaded into {partialPath} (another specula process?); wait for it or delete that file", ex);
        }
    }

    /// <summary>Feeds the bytes of an earlier partial download to the hasher, so a resumed file is still fully verified.</summary>
    static async Task HashExistingAsync(FileStream partial, IncrementalHash hasher, ProgressReporter report, CancellationToken cancellationToken)
    {
        if (partial.Length == 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            partial.Position = 0;
            long done = 0;
            int read;
            while ((read = await partial.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                hasher.AppendData(buffer, 0, read);
                done += read;
                report.Send(DownloadStage.CheckingPartial, done);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Appends the missing bytes, resuming with a range request after each failed connection.</summary>
    async Task ReceiveRestAsync(string repoId, HubFile file, FileStream partial, IncrementalHash hasher, ProgressReporter report, CancellationToken cancellationToken)
    {
        int failuresInARow = 0;
        while (partial.Length < file.Size)
        {
            long before = partial.Length;
            try
            {
                await ReceiveOnceAsync(repoId, file, partial, hasher, report, cancellationToken).ConfigureAwait(false);
                if (partial.Length < file.Size) throw new IOException($"the connection closed after {partial.Length} of {file.Size} bytes");
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                failuresInARow = partial.Length > before ? 1 : failuresInARow + 1;
                if (failuresInARow >= hub.Options.MaxAttempts)
                {
                    var message = $"downloading '{file.Path}' from {repoId} failed {failuresInARow} times in a row ({ex.Message}); " +
                                  $"{partial.Length} of {file.Size} bytes are kept in {partial.Name}, run the pull again to resume";
                    throw ex is HubUnreachableException ? new HubUnreachableException(message, ex) : new HubException(message, ex);
                }
                var delay = RetryDelay(failuresInARow);
                report.Send(DownloadStage.Retrying, partial.Length, force: true,
                            message: $"{ex.Message}; resuming at byte {partial.Length} in {delay.TotalSeconds:0.#} s (try {failuresInARow + 1} of {hub.Options.MaxAttempts})");
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One request: from the current end of the partial file to the end of the file, or until the connection fails.</summary>
    async Task ReceiveOnceAsync(string repoId, HubFile file, FileStream partial, IncrementalHash hasher, ProgressReporter report, CancellationToken cancellationToken)
    {
        long offset = partial.Length;
        using var response = await hub.OpenFileAsync(repoId, file.Path, offset, cancellationToken).ConfigureAwait(false);
        CheckHubMetadata(repoId, file, response);

        var message = response.Message;
        bool rangeHonoured = message.StatusCode == HttpStatusCode.PartialContent && message.Content.Headers.ContentRange?.From == offset;
        if (offset > 0 && !rangeHonoured)
        {
            // The server sent something other than the requested tail (usually the whole file): start over.
            if (message.StatusCode != HttpStatusCode.OK) throw new IOException($"the server answered a range request with HTTP {(int)message.StatusCode}");
            offset = 0;
            partial.SetLength(0);
            file.Digest.Restart(hasher, file.Size);
            report.ResumedFrom = 0;
        }

        await using var body = await message.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        partial.Position = offset;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (true)
            {
                idle.CancelAfter(hub.Options.ReadTimeout); // restarted per read: only a stalled connection times out
                int read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token).ConfigureAwait(false);
                if (read == 0) break;
                if (partial.Length + read > file.Size)
                    throw new HubIntegrityException($"'{file.Path}' from {repoId} is larger than the {file.Size} bytes the hub listed; nothing was kept");
                await WriteAsync(partial, buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                hasher.AppendData(buffer, 0, read);
                report.Send(DownloadStage.Downloading, partial.Length);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data for {hub.Options.ReadTimeout.TotalSeconds:0} s");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes to the partial file; a failure here (disk full, permissions) is not a network hiccup, so it is not retried.</summary>
    static async Task WriteAsync(FileStream partial, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        try
        {
            await partial.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new HubException($"cannot write {partial.Name} ({ex.Message}); {partial.Length} bytes are kept there, free some space and run the pull again", ex);
        }
    }

    /// <summary>
    /// The hub repeats the file's identity on the resolve response (<c>X-Linked-Etag</c>, <c>X-Linked-Size</c>);
    /// a disagreement with the tree listing means the repository changed in between, and the bytes would not verify.
    /// </summary>
    static void CheckHubMetadata(string repoId, HubFile file, HubResponse response)
    {
        if (response.LinkedSize is long size && size != file.Size)
            throw new HubIntegrityException($"the hub lists '{file.Path}' in {repoId} as {file.Size} bytes but serves {size}; it changed while pulling, run the pull again");
        var etag = response.Etag;
        if (etag != null && etag.Length == file.Digest.Hex.Length && ContentDigest.IsHex(etag) && !etag.Equals(file.Digest.Hex, StringComparison.OrdinalIgnoreCase))
            throw new HubIntegrityException($"the hub lists '{file.Path}' in {repoId} as {file.Digest} but serves {etag}; it changed while pulling, run the pull again");
    }

    static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HubServerException or HubUnreachableException => true,
        HubException => false, // not found, access denied, integrity: retrying cannot help
        IOException or HttpRequestException or TimeoutException => true,
        _ => false,
    };

    TimeSpan RetryDelay(int failuresInARow)
    {
        var delay = hub.Options.RetryDelay * Math.Pow(2, failuresInARow - 1);
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    /// <summary>Sends progress reports for one file, at most every <see cref="ProgressInterval"/> unless forced.</summary>
    sealed class ProgressReporter(IProgress<DownloadProgress>? sink, HubFile file, int fileIndex, int fileCount)
    {
        readonly Stopwatch sinceLast = Stopwatch.StartNew();
        DownloadStage lastStage = (DownloadStage)(-1);

        public long ResumedFrom { get; set; }

        public void Send(DownloadStage stage, long bytesDone, bool force = false, string? message = null)
        {
            if (sink == null) return;
            bool due = force || stage != lastStage || sinceLast.Elapsed >= ProgressInterval || bytesDone == file.Size;
            if (!due) return;
            sinceLast.Restart();
            lastStage = stage;
            sink.Report(new DownloadProgress(file.Path, fileIndex, fileCount, stage, bytesDone, file.Size, ResumedFrom, message));
        }
    }
}
