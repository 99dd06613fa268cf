using System.CommandLine;
using System.Text.Json;
using Specula.Cli.Commands;
using Specula.Kernels;
using Specula.Tests.Kernels;
using Xunit;

namespace Specula.Tests.Models;

/// <summary><c>run --threads N</c> resizes the process-wide compute pool, so these tests run alone (the kernel
/// options collection is not parallelised) and put the default pool back.</summary>
[Collection(KernelOptionsCollection.Name)]
public sealed class RunThreadsTests
{
    static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { RunCommand.Create() };
        try
        {
            int exit = root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false })
                .GetAwaiter().GetResult();
            return (exit, output.ToString(), error.ToString());
        }
        catch (CliException ex)
        {
            return (1, output.ToString(), $"error: {ex.Message}");
        }
    }

    [Fact]
    public void GreedyIdsAreTheGoldenContinuationWithOneThreadOrThree()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("models/stories260K.golden.json")));
        var c = golden.RootElement.GetProperty("cases")[0];
        string prompt = string.Join(",", c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()));
        string expected = string.Join(",", c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()));
        try
        {
            foreach (string threads in new[] { "1", "3" })
            {
                var (exit, output, error) = Run("run", "-m", TestPaths.Shared("models/stories260K.gguf"), "--tokens", prompt,
                    "-n", "200", "--temp", "0", "--ids", "--threads", threads);
                Assert.True(exit == 0, error);
                Assert.Equal(int.Parse(threads), ComputePool.Shared.ThreadCount);
                Assert.Equal(expected, output.Trim());
            }
        }
        finally
        {
            ComputePool.ConfigureShared(ComputePool.DefaultThreadCount);
        }
    }

    [Fact]
    public void ThreadCountsOutsideOneTo1024AreRefused()
    {
        var (exit, _, error) = Run("run", "-m", TestPaths.Shared("models/stories260K.gguf"), "--tokens", "1", "-n", "2", "--threads", "0");
        Assert.Equal(1, exit);
        Assert.Contains("--threads must be between 1 and 1024, got 0", error);
    }
}
