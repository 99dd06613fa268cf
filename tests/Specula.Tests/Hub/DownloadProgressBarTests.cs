using Specula.Cli.Commands;
using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>What the CLI's progress display writes for a download's reports.</summary>
public class DownloadProgressBarTests
{
    static readonly DownloadProgress[] Reports =
    [
        new("m-00001-of-00002.gguf", 1, 2, DownloadStage.Downloading, 1 << 20, 4 << 20, 0),
        new("m-00001-of-00002.gguf", 1, 2, DownloadStage.Retrying, 1 << 20, 4 << 20, 0, "connection lost; resuming"),
        new("m-00001-of-00002.gguf", 1, 2, DownloadStage.Downloading, 2 << 20, 4 << 20, 0),
        new("m-00001-of-00002.gguf", 1, 2, DownloadStage.Completed, 4 << 20, 4 << 20, 0),
        new("m-00002-of-00002.gguf", 2, 2, DownloadStage.Completed, 1 << 20, 1 << 20, 1 << 20),
    ];

    [Fact]
    public void TerminalGetsOneRedrawnBarLinePerFile()
    {
        var error = new StringWriter();
        var bar = new DownloadProgressBar(error, interactive: true);
        foreach (var report in Reports) bar.Report(report);

        var lines = error.ToString().Split(Environment.NewLine);
        Assert.Contains("\r[1/2] m-00001-of-00002.gguf [######------------------]  25%  1 MiB / 4 MiB", lines[0]);
        Assert.Equal("  connection lost; resuming", lines[1]);
        Assert.StartsWith("\r[1/2] m-00001-of-00002.gguf [############------------]  50%  2 MiB / 4 MiB", lines[2]);
        Assert.Contains("\r[1/2] m-00001-of-00002.gguf [########################] 100%  4 MiB / 4 MiB", lines[2]);
        Assert.Equal("[2/2] m-00002-of-00002.gguf: already in the store", lines[3]);
        Assert.Equal([""], lines[4..]); // the output ends with a newline and has no extra lines
    }

    [Fact]
    public void RedirectedOutputGetsPlainLines()
    {
        var error = new StringWriter();
        var bar = new DownloadProgressBar(error, interactive: false);
        foreach (var report in Reports) bar.Report(report);

        var lines = error.ToString().TrimEnd().Split(Environment.NewLine);
        Assert.Equal("[1/2] m-00001-of-00002.gguf: downloading 4 MiB", lines[0]);
        Assert.Equal("  connection lost; resuming", lines[1]);
        Assert.StartsWith("[1/2] m-00001-of-00002.gguf: done, 4 MiB", lines[2]);
        Assert.Equal("[2/2] m-00002-of-00002.gguf: already in the store", lines[3]);
        Assert.Equal(4, lines.Length);
        Assert.DoesNotContain('\r', error.ToString());
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(4_920_000_000, "4.58 GiB")]
    public void SizesUseBinaryUnits(long bytes, string text) => Assert.Equal(text, DownloadProgressBar.Size(bytes));
}
