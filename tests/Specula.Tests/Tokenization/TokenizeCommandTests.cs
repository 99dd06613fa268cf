using System.CommandLine;
using Specula.Cli.Commands;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary><c>specula tokenize</c> in-process.</summary>
public class TokenizeCommandTests
{
    static async Task<(int Exit, string Output, string Error)> Run(params string[] args)
    {
        var root = new RootCommand { TokenizeCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (exit, output.ToString(), error.ToString());
    }

    static string Model(string vocabulary) => TokenizerFixtures.GgufPath(vocabulary);

    [Fact]
    public async Task PrintsTheIdsCommaSeparatedOnOneLine()
    {
        var result = await Run("tokenize", "-m", Model("llama3-bpe"), "--text", "hello world");
        Assert.Equal(0, result.Exit);
        Assert.Equal("128000,15339,1917" + Environment.NewLine, result.Output);
    }

    [Fact]
    public async Task NoBosLeavesOutTheSpecialTokens()
    {
        var result = await Run("tokenize", "--model", Model("llama2-spm"), "--text", "Hello world, this is a test.", "--no-bos");
        Assert.Equal("15043,3186,29892,445,338,263,1243,29889", result.Output.Trim());
    }

    [Fact]
    public async Task SpecialParsesControlTokens()
    {
        string qwen = Model("qwen3-bpe");
        var parsed = await Run("tokenize", "-m", qwen, "--text", "<|im_start|>user", "--special");
        var plain = await Run("tokenize", "-m", qwen, "--text", "<|im_start|>user");
        Assert.StartsWith("151644,", parsed.Output);
        Assert.DoesNotContain("151644", plain.Output);
    }

    [Fact]
    public async Task MissingModelFileIsOneClearError()
    {
        var error = await Assert.ThrowsAsync<CliException>(() => Run("tokenize", "-m", "/no/such/model.gguf", "--text", "x"));
        Assert.Contains("model file not found: /no/such/model.gguf", error.Message);
    }

    [Fact]
    public async Task MissingTextIsAParseError()
    {
        var result = await Run("tokenize", "-m", Model("llama3-bpe"));
        Assert.NotEqual(0, result.Exit);
        Assert.Contains("--text", result.Error);
    }
}
