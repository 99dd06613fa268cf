using System.Diagnostics;
using System.Globalization;
using Specula.Hub;

namespace Specula.Cli.Commands;

/// <summary>
/// Shows download progress on stderr. On a terminal it redraws one line per file (bar, percentage, bytes,
/// speed, time left); when stderr is redirected it writes a line when a file starts, retries and completes,
/// so logs stay readable. Any command that resolves a MODEL argument can pass one to
/// <see cref="ModelReference.ResolveAsync(string, IProgress{DownloadProgress}?, CancellationToken)"/>.
/// </summary>
public sealed class DownloadProgressBar(TextWriter error, bool interactive) : IProgress<DownloadProgress>
{
    const int BarWidth = 24;
    readonly Stopwatch clock = new();
    string? currentFile;
    long bytesAtStart;
    int lastLineLength;

    /// <summary>A bar on the process's stderr, redrawn in place when stderr is a terminal.</summary>
    public static DownloadProgressBar ForConsole(TextWriter error) =>
        new(error, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);

    public void Report(DownloadProgress value)
    {
        if (value.File != currentFile && !StartFile(value)) return;
        switch (value.Stage)
        {
            case DownloadStage.Retrying:
                EndLine();
                error.WriteLine($"  {value.Message}");
                break;
            case DownloadStage.Completed:
                if (interactive) Draw(value);
                EndLine();
                if (!interactive) error.WriteLine($"{Label(value)}: done, {Size(value.TotalBytes)}{SpeedSuffix(value)}");
                currentFile = null;
                break;
            default:
                if (interactive) Draw(value);
                break;
        }
    }

    /// <summary>Begins the display of a new file; false when there is nothing more to show for it.</summary>
    bool StartFile(DownloadProgress value)
    {
        EndLine();
        currentFile = value.File;
        bytesAtStart = value.ResumedFrom;
        clock.Restart();
        if (value.Stage == DownloadStage.Completed)
        {
            error.WriteLine($"{Label(value)}: already in the store");
            currentFile = null;
            return false;
        }
        if (!interactive)
        {
            var resumed = value.ResumedFrom > 0 ? $", resuming at {Size(value.ResumedFrom)}" : "";
            error.WriteLine($"{Label(value)}: downloading {Size(value.TotalBytes)}{resumed}");
        }
        return true;
    }

    void Draw(DownloadProgress value)
    {
        double fraction = value.TotalBytes > 0 ? Math.Clamp((double)value.BytesDone / value.TotalBytes, 0, 1) : 1;
        int filled = (int)(fraction * BarWidth);
        var bar = new string('#', filled) + new string('-', BarWidth - filled);
        string tail = value.Stage == DownloadStage.CheckingPartial
            ? $"checking {Size(value.BytesDone)} already downloaded"
            : $"{Size(value.BytesDone)} / {Size(value.TotalBytes)}{SpeedSuffix(value)}{Eta(value)}";
        var line = string.Create(CultureInfo.InvariantCulture, $"{Label(value)} [{bar}] {fraction * 100,3:0}%  {tail}");
        int width = ConsoleWidth();
        if (line.Length > width) line = line[..width];
        error.Write('\r' + line + new string(' ', Math.Max(0, lastLineLength - line.Length)));
        lastLineLength = line.Length;
    }

    void EndLine()
    {
        if (lastLineLength == 0) return;
        error.WriteLine();
        lastLineLength = 0;
    }

    static string Label(DownloadProgress value) =>
        value.FileCount > 1 ? $"[{value.FileIndex}/{value.FileCount}] {value.File}" : value.File;

    double BytesPerSecond(DownloadProgress value)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        long received = value.BytesDone - bytesAtStart;
        return seconds > 0.2 && received > 0 ? received / seconds : 0;
    }

    string SpeedSuffix(DownloadProgress value)
    {
        double speed = BytesPerSecond(value);
        return speed > 0 ? $"  {Size((long)speed)}/s" : "";
    }

    string Eta(DownloadProgress value)
    {
        double speed = BytesPerSecond(value);
        if (speed <= 0 || value.BytesDone >= value.TotalBytes) return "";
        var left = TimeSpan.FromSeconds((value.TotalBytes - value.BytesDone) / speed);
        return left.TotalHours >= 1 ? $"  {(int)left.TotalHours}:{left:mm\\:ss} left" : $"  {left:m\\:ss} left";
    }

    static int ConsoleWidth()
    {
        try { return Console.WindowWidth > 20 ? Console.WindowWidth - 1 : 119; }
        catch (IOException) { return 119; }
        catch (PlatformNotSupportedException) { return 119; }
    }

    /// <summary>Bytes in binary units, e.g. <c>4.07 GiB</c>.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1) { value /= 1024; unit++; }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
