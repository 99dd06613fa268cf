using System.CommandLine;
using System.Text.Json;
using Specula.Cli.Commands;
using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary><c>specula bench</c> on the small shared model: the JSON report's fields, and clear errors. It
/// changes the shared compute pool, so it runs with the other process-wide kernel tests.</summary>
[Collection(KernelOptionsCollection.Name)]
public class BenchCommandTests
{
    static (int Exit, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        var root = new RootCommand { BenchCommand.Create() };
        int exit = root.Parse(args).InvokeAsync(new InvocationConfiguration
        {
            Output = output, Error = new StringWriter(), EnableDefaultExceptionHandler = false,
        }).GetAwaiter().GetResult();
        return (exit, output.ToString());
    }

    [Fact]
    public void JsonReportHasThroughputBandwidthAndShapes()
    {
        int threadsBefore = ComputePool.Shared.ThreadCount;
        try
        {
            var (exit, output) = Run("bench", "-m", TestPaths.Shared("models/stories260K.gguf"), "-p", "16", "-n", "8",
                "--reps", "2", "--threads", "1", "--json");
            Assert.Equal(0, exit);
            using var json = JsonDocument.Parse(output);
            var root = json.RootElement;
            Assert.Equal("stories260K", root.GetProperty("model").GetString());
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            Assert.Equal(16, root.GetProperty("prompt_tokens").GetInt32());
            Assert.Equal(8, root.GetProperty("gen_tokens").GetInt32());
            Assert.True(root.GetProperty("prefill_tok_s").GetDouble() > 0);
            Assert.True(root.GetProperty("decode_tok_s").GetDouble() > 0);
            Assert.True(root.GetProperty("bandwidth_gb_s").GetDouble() > 0);
            Assert.Equal(2, root.GetProperty("decode_runs_tok_s").GetArrayLength());
            Assert.True(root.GetProperty("bytes_per_token").GetInt64() > 0);
        }
        finally
        {
            ComputePool.ConfigureShared(threadsBefore);
        }
    }

    [Fact]
    public void ModelAndSyntheticTogetherAreRejected()
    {
        var e = Assert.Throws<CliException>(() => Run("bench", "-m", "x.gguf", "--synthetic", "134m"));
        Assert.Contains("exactly one", e.Message);
    }

    [Fact]
    public void UnknownPresetAndTypeAreNamed()
    {
        Assert.Contains("9b", Assert.Throws<CliException>(() => BenchPreset.Parse("9b", null)).Message);
        Assert.Contains("Q3_X", Assert.Throws<CliException>(() => BenchPreset.Parse("836m:Q3_X", null)).Message);
        var (preset, type) = BenchPreset.Parse("836m:q4_k", null);
        Assert.Equal((2048, 16, 5632, 32, 4), (preset.Dimension, preset.Layers, preset.FeedForward, preset.Heads, preset.KvHeads));
        Assert.Equal(Specula.Tensors.GgmlType.Q4_K, type);
    }
}
