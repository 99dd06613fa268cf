using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Specula.Cli.Commands;
using Xunit;

namespace Specula.Tests.Templates;

/// <summary><c>specula template</c> on fixture templates, conversations and GGUF files.</summary>
public sealed class TemplateCommandTests : IDisposable
{
    static readonly JsonDocument Cases = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("fixtures/chat-templates/chat-cases.json")));
    readonly string directory = Directory.CreateTempSubdirectory("specula-template-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    static JsonElement Case(string name) =>
        Cases.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    static string Expected(string template, string caseName) =>
        Cases.RootElement.GetProperty("expected").GetProperty(template).GetProperty(caseName).GetProperty("output").GetString()!;

    static string Fixture(string path) => TestPaths.Shared("fixtures/" + path);

    /// <summary>Writes the case's conversation as a messages file: an array, or an object with tools.</summary>
    string MessagesFile(string caseName, bool withTools = false)
    {
        var testCase = Case(caseName);
        var path = Path.Combine(directory, caseName + ".json");
        var json = withTools
            ? $$"""{"messages": {{testCase.GetProperty("messages").GetRawText()}}, "tools": {{testCase.GetProperty("tools").GetRawText()}}}"""
            : testCase.GetProperty("messages").GetRawText();
        File.WriteAllText(path, json);
        return path;
    }

    static (int Exit, string Output) Run(params string[] args)
    {
        var output = new StringWriter();
        int exit = new RootCommand { TemplateCommand.Create() }.Parse(args)
            .Invoke(new InvocationConfiguration { Output = output, Error = new StringWriter(), EnableDefaultExceptionHandler = false });
        return (exit, output.ToString());
    }

    [Fact]
    public void RendersATemplateFileWithToolsExactlyAsTheFixture()
    {
        var (exit, output) = Run("template", "--template", Fixture("chat-templates/qwen3.jinja"),
            "--messages", MessagesFile("tool_call_round_trip", withTools: true), "--add-generation-prompt");
        Assert.Equal(0, exit);
        Assert.Equal(Expected("qwen3", "tool_call_round_trip"), output);
    }

    [Fact]
    public void VariablesAreJson()
    {
        var (_, output) = Run("template", "--template", Fixture("chat-templates/qwen3.jinja"),
            "--messages", MessagesFile("enable_thinking_false"), "--add-generation-prompt", "--var", "enable_thinking=false");
        Assert.Equal(Expected("qwen3", "enable_thinking_false"), output);

        var (_, withBos) = Run("template", "--template", Fixture("chat-templates/llama-2-chat.jinja"),
            "--messages", MessagesFile("multi_turn"), "--var", "bos_token=\"<s>\"", "--var", "eos_token=\"</s>\"");
        Assert.Equal(Expected("llama-2-chat", "multi_turn"), withBos);
    }

    [Fact]
    public void ModelOptionTakesTheTemplateAndSpecialTokensFromTheGguf()
    {
        var (exit, output) = Run("template", "-m", Fixture("gguf/llama3-bpe.gguf"),
            "--messages", MessagesFile("whitespace_and_unicode"), "--add-generation-prompt");
        Assert.Equal(0, exit);
        Assert.Equal(Expected("llama-3-instruct", "whitespace_and_unicode"), output);
    }

    [Fact]
    public void NowFixesTheClockOfStrftimeNow()
    {
        var template = Path.Combine(directory, "date.jinja");
        File.WriteAllText(template, "{{ strftime_now('%d %b %Y %H:%M') }}");
        var (_, output) = Run("template", "--template", template, "--messages", MessagesFile("user_only"), "--now", "2024-07-26T12:00:00Z");
        Assert.Equal("26 Jul 2024 12:00", output);
    }

    [Theory]
    [InlineData("both")]
    [InlineData("neither")]
    [InlineData("raise")]
    [InlineData("bad-var")]
    [InlineData("bad-json")]
    [InlineData("no-messages-array")]
    [InlineData("missing-variant")]
    [InlineData("syntax")]
    public void MistakesAreOneClearError(string mistake)
    {
        var messages = MessagesFile("system_user");
        var template = Fixture("chat-templates/gemma-2-it.jinja");
        string[] args = mistake switch
        {
            "both" => ["template", "-m", Fixture("gguf/qwen3-bpe.gguf"), "--template", template, "--messages", messages],
            "neither" => ["template", "--messages", messages],
            "raise" => ["template", "--template", template, "--messages", messages],
            "bad-var" => ["template", "--template", template, "--messages", messages, "--var", "x=abc"],
            "bad-json" => ["template", "--template", template, "--messages", WriteFile("bad.json", "[{")],
            "no-messages-array" => ["template", "--template", template, "--messages", WriteFile("obj.json", """{"msgs": []}""")],
            "missing-variant" => ["template", "-m", Fixture("gguf/qwen3-bpe.gguf"), "--variant", "tool_use", "--messages", messages],
            _ => ["template", "--template", WriteFile("bad.jinja", "{% if %}"), "--messages", messages],
        };
        string expectedPart = mistake switch
        {
            "both" or "neither" => "exactly one of -m MODEL or --template",
            "raise" => "template raised an exception on line 1: System role not supported",
            "bad-var" => "--var x: 'abc' is not JSON",
            "bad-json" => "is not valid JSON",
            "no-messages-array" => "must hold a messages array",
            "missing-variant" => "has no chat template named 'tool_use'",
            _ => "template syntax error on line 1",
        };
        var error = Assert.Throws<CliException>(() => Run(args));
        Assert.Contains(expectedPart, error.Message);
    }

    string WriteFile(string name, string text)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void TheBuiltToolWritesRawUtf8WithoutATrailingNewline()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "specula.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { cli, "template", "--template", Fixture("chat-templates/gemma-3-it.jinja"), "--messages",
                     MessagesFile("whitespace_and_unicode"), "--add-generation-prompt", "--var", "bos_token=\"<bos>\"" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var bytes = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(bytes);
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(60_000));
        Assert.True(process.ExitCode == 0, stderr);
        Assert.Equal(Encoding.UTF8.GetBytes(Expected("gemma-3-it", "whitespace_and_unicode")), bytes.ToArray());
    }
}
