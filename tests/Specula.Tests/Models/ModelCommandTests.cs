using System.Text.RegularExpressions;
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
        var error = new StringWriter();
        var root = new RootCommand { InspectCommand.Create(), LogitsCommand.Create(), RunCommand.Create() };
        try
        {
            int exit = root.Parse(args).InvokeAsync(new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false,
            }).GetAwaiter().GetResult();
            return (exit, output.ToString(), error.ToString());
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
        // The matrix-kernel summary names the path of each weight type present, with its tensor count.
        Assert.Matches(@"matrix kernels \((128|256|512)-bit vectors\):", output);
        int q4Matrices = Regex.Matches(output, @"^\s+\S+\.weight\s+Q4_0\s+\[\d+, \d+\]", RegexOptions.Multiline).Count;
        Assert.Matches($@"Q4_0\s+{q4Matrices} tensors: row tiles .*int8 dot products with activations quantized to Q8_0", output);
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

    [Fact]
    public void RunGreedyIdsAreTheGoldenContinuation()
    {
        foreach (int index in new[] { 0, 1 })
        {
            var (prompt, greedy, _) = Golden(index);
            var (exit, output, error) = Run("run", "-m", Stories, "--tokens", string.Join(",", prompt), "-n", "200", "--temp", "0", "--ids");
            Assert.True(exit == 0, error);
            Assert.Equal(string.Join(",", greedy), output.Trim());
        }
    }

    [Fact]
    public void RunGreedyOnATextPromptMatchesLlamaCpp()
    {
        string model = TestPaths.Shared("fixtures/gguf/llama2-spm.gguf");
        var (exit, output, error) = Run("run", "-m", model, "-p", "Once upon a time", "-n", "24", "--temp", "0", "--ids");
        Assert.True(exit == 0, error);
        var ours = output.Trim().Split(',').Select(int.Parse).ToArray();

        using var gguf = Specula.Gguf.GgufReader.Open(model);
        var prompt = Specula.Tokenization.Tokenizer.FromGguf(gguf).Encode("Once upon a time", addSpecial: true, parseSpecial: true);
        using var reference = new Specula.Tests.Reference.LlamaCppReference(model);
        Assert.Equal(reference.Tokenize("Once upon a time", addSpecial: true, parseSpecial: true), prompt);
        var (expected, _) = reference.Greedy(prompt, 24);
        Assert.Equal(expected, ours);
    }

    [Fact]
    public void RunStreamsTheTextOfTheSampledTokensAndASeedReproducesIt()
    {
        string model = TestPaths.Shared("fixtures/gguf/qwen3-bpe.gguf");
        string[] common = ["run", "-m", model, "-p", "Hello, world", "-n", "20", "--seed", "42", "--temp", "1.5", "--top-k", "0", "--top-p", "1", "--min-p", "0"];
        var text = Run(common);
        var again = Run(common);
        var ids = Run([.. common, "--ids"]);
        Assert.Equal(0, text.Exit);
        Assert.Equal(text.Output, again.Output);

        var generated = ids.Output.Trim().Split(',').Select(int.Parse).ToArray();
        Assert.True(generated.Length > 0);
        Assert.True(generated.Distinct().Count() > 1, "a high-temperature sample should not repeat one token");
        using var gguf = Specula.Gguf.GgufReader.Open(model);
        var detokenizer = new Specula.Tokenization.StreamingDetokenizer(Specula.Tokenization.Tokenizer.FromGguf(gguf), unparseSpecial: false);
        var expected = string.Concat(generated.Select(detokenizer.Push)) + detokenizer.Flush();
        Assert.Equal(expected + Environment.NewLine, text.Output);
    }

    [Fact]
    public void RunStopsAtAnEndOfGenerationToken()
    {
        // stories260K greedy from [1] starts 461, 461, 401: declare 401 the end-of-sequence token.
        var source = Specula.Gguf.GgufReader.Open(Stories);
        var writer = new Specula.Gguf.GgufWriter();
        foreach (string key in source.MetadataKeys) writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);
        writer.Set("tokenizer.ggml.eos_token_id", 401u);
        foreach (var t in source.Tensors) writer.AddTensor(t.Name, t.Type, t.Dimensions, source.GetTensorBytes(t));
        string path = Path.Combine(_directory, "eos401.gguf");
        writer.WriteTo(path);
        source.Dispose();

        var (exit, output, error) = Run("run", "-m", path, "--tokens", "1", "-n", "50", "--temp", "0", "--ids");
        Assert.True(exit == 0, error);
        // Generation stops there (whether the run command prints the end token itself is its own choice).
        Assert.Contains(output.Trim(), new[] { "461,461", "461,461,401" });
    }

    [Fact]
    public void RunStopsWhenTheContextIsFullAndRefusesALongerPromptOrAmbiguousInput()
    {
        var (exit, output, error) = Run("run", "-m", Stories, "--tokens", "1,300,400,500", "-n", "50", "--temp", "0", "--ids", "--ctx-size", "10");
        Assert.Equal(0, exit);
        Assert.Equal(7, output.Trim().Split(',').Length); // 4 prompt rows + 6 fed back = 10, plus the last sampled token

        var overflow = Run("run", "-m", Stories, "--tokens", "1,2,3,4,5", "--ctx-size", "4", "--ids");
        Assert.Equal(1, overflow.Exit);
        Assert.Contains("the prompt is 5 tokens", overflow.Error);

        Assert.Equal(1, Run("run", "-m", Stories, "-p", "x", "--tokens", "1").Exit);
        Assert.Equal(1, Run("run", "-m", Stories).Exit);
    }
}
