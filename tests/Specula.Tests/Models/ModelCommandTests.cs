using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Specula.Cli.Commands;
using Xunit;

namespace Specula.Tests.Models;

/// <summary>The model commands (inspect, logits, run) run in-process on real and synthetic files.</summary>
public sealed class ModelCommandTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-cli-").FullName;
    static string Stories => TestPaths.Shared("models/stories260K.gguf");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Runs a command in-process. An exception of a type the CLI's runner reports as one
    /// "error: message" line with exit code 1 is turned into exactly that; anything else fails the test.</summary>
    static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var root = new RootCommand { InspectCommand.Create(), LogitsCommand.Create() };
        try
        {
            int exit = root.Parse(args).InvokeAsync(new InvocationConfiguration
            {
                Output = output, Error = new StringWriter(), EnableDefaultExceptionHandler = false,
            }).GetAwaiter().GetResult();
            return (exit, output.ToString(), "");
        }
        catch (Exception ex) when (ex is CliException or IOException or InvalidDataException or FormatException or ArgumentException
                                       or InvalidOperationException or NotSupportedException)
        {
            return (1, output.ToString(), $"error: {ex.Message}");
        }
    }

    static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    static (int[] Prompt, int[] Greedy, float[] Logits) Golden(int index)
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("models/stories260K.golden.json")));
        var c = golden.RootElement.GetProperty("cases")[index];
        return (c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("logits_after_prompt").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    [Fact]
    public void InspectPrintsMetadataAbbreviatedAndTheTensorTable()
    {
        var (exit, output, _) = Run("inspect", "-m", TestPaths.Shared("fixtures/gguf/qwen3-bpe.gguf"));
        Assert.Equal(0, exit);
        Assert.Contains("general.architecture = \"llama\"", output);
        Assert.Contains("(151936 string values)", output);
        Assert.Contains("tokenizer.chat_template = \"", output);
        Assert.Contains("chars)", output); // the long template is cut
        Assert.Contains("model: llama, 1 layers, dim 64", output);
        Assert.Matches(@"token_embd\.weight\s+Q4_0\s+\[64, 151936\]\s+5469696", output);
        Assert.True(output.Length < 20_000, $"inspect printed {output.Length} characters");
    }

    [Fact]
    public void LogitsWritesTheLastPositionAsRawFloat32()
    {
        var (prompt, _, expected) = Golden(1);
        string file = Path.Combine(_directory, "last.bin");
        var (exit, _, error) = Run("logits", "-m", Stories, "--tokens", string.Join(",", prompt), "--out", file);
        Assert.True(exit == 0, error);
        var logits = ReadFloats(file);
        Assert.Equal(512, logits.Length);
        for (int i = 0; i < logits.Length; i++) Assert.True(Math.Abs(logits[i] - expected[i]) <= 1e-4f, $"logit {i}");
    }

    [Fact]
    public void LogitsAllWritesEveryPositionEqualToThePrefixRuns()
    {
        var (prompt, _, _) = Golden(1);
        string all = Path.Combine(_directory, "all.bin");
        Assert.Equal(0, Run("logits", "-m", Stories, "--tokens", string.Join(",", prompt), "--out", all, "--all").Exit);
        var rows = ReadFloats(all);
        Assert.Equal(prompt.Length * 512, rows.Length);
        for (int n = 1; n <= prompt.Length; n++)
        {
            string prefix = Path.Combine(_directory, $"prefix{n}.bin");
            Assert.Equal(0, Run("logits", "-m", Stories, "--tokens", string.Join(",", prompt.Take(n)), "--out", prefix).Exit);
            Assert.Equal(ReadFloats(prefix), rows.AsSpan((n - 1) * 512, 512).ToArray());
        }
    }

    [Fact]
    public void ErrorsAreOneClearLineAndExitOne()
    {
        string file = Path.Combine(_directory, "x.bin");
        var missing = Run("logits", "-m", Path.Combine(_directory, "absent.gguf"), "--tokens", "1", "--out", file);
        Assert.Equal(1, missing.Exit);
        Assert.Contains("not found", missing.Error);

        string junk = Path.Combine(_directory, "junk.gguf");
        File.WriteAllBytes(junk, new byte[64]);
        var bad = Run("inspect", "-m", junk);
        Assert.Equal(1, bad.Exit);
        Assert.Contains("not a GGUF file", bad.Error);

        var overflow = Run("logits", "-m", Stories, "--tokens", string.Join(",", Enumerable.Repeat(5, 513)), "--out", file);
        Assert.Equal(1, overflow.Exit);
        Assert.Contains("context length", overflow.Error);

        var badToken = Run("logits", "-m", Stories, "--tokens", "1,99999", "--out", file);
        Assert.Equal(1, badToken.Exit);
        Assert.Contains("99999", badToken.Error);

        var notNumber = Run("logits", "-m", Stories, "--tokens", "1,x", "--out", file);
        Assert.Equal(1, notNumber.Exit);
        Assert.Contains("'x'", notNumber.Error);

        foreach (var (_, _, text) in new[] { missing, bad, overflow, badToken, notNumber })
            Assert.Single(text.Trim().Split('\n'));
    }
}
