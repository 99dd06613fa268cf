using System.CommandLine;
using Specula.Cli.Commands;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>The <c>pull</c>, <c>list</c> and <c>rm</c> commands end to end against a fake hub and a temp store.</summary>
public class HubCommandTests
{
    const string Repo = "acme/tiny-GGUF";

    static async Task<(int Exit, string Output, string Error)> Run(HubFixture f, params string[] args)
    {
        var root = new RootCommand
        {
            PullCommand.Create(() => f.Options()),
            ListCommand.Create(() => f.Options()),
            RmCommand.Create(() => f.Options()),
        };
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task PullPrintsPathAndChoiceThenListAndRmSeeTheModel()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(200_000, seed: 1));
        f.Hub.AddFile(Repo, "tiny-Q8_0.gguf", HubFixture.Content(300_000, seed: 2));

        var pull = await Run(f, "pull", Repo);
        Assert.Equal(0, pull.Exit);
        var path = f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf");
        Assert.Equal(path, pull.Output.Trim());
        Assert.Contains("no quantization given; chose Q4_K_M (tiny-Q4_K_M.gguf)", pull.Error);
        Assert.Contains("tiny-Q4_K_M.gguf: downloading 195.31 KiB", pull.Error); // progress lines (stderr not a terminal)
        Assert.Contains("tiny-Q4_K_M.gguf: done", pull.Error);

        var list = await Run(f, "list");
        var lines = list.Output.TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Matches(@"^REPO\s+FILE\s+SIZE$", lines[0]);
        Assert.Matches(@"^acme/tiny-GGUF\s+tiny-Q4_K_M\.gguf\s+195\.31 KiB$", lines[1]);

        var rm = await Run(f, "rm", $"{Repo}:Q4_K_M");
        Assert.Equal($"removed {path}", rm.Output.Trim());
        Assert.Empty(f.StoredFiles());
        Assert.StartsWith("no models in", (await Run(f, "list")).Output);
    }

    [Fact]
    public async Task RmAcceptsStoredFilePathAndRefusesOthers()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(1000, seed: 1));
        await Run(f, "pull", Repo);
        var path = f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf");

        var outside = Path.GetTempFileName();
        try
        {
            var ex = await Assert.ThrowsAsync<CliException>(() => Run(f, "rm", outside));
            Assert.Contains("not a model in the store", ex.Message);
            Assert.True(File.Exists(outside));
        }
        finally { File.Delete(outside); }

        Assert.Equal(0, (await Run(f, "rm", path)).Exit);
        Assert.False(File.Exists(path));
        var missing = await Assert.ThrowsAsync<CliException>(() => Run(f, "rm", Repo));
        Assert.Contains("no models of acme/tiny-GGUF", missing.Message);
    }

    [Fact]
    public async Task PullOfBadNameIsOneClearError()
    {
        await using var f = new HubFixture();
        var ex = await Assert.ThrowsAsync<CliException>(() => Run(f, "pull", "just-a-name"));
        Assert.Contains("OWNER/REPO", ex.Message);
    }
}
