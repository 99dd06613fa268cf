using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Specula.Cli.Commands;
using Specula.Gguf;
using Specula.Hub;
using Specula.Templates;
using Specula.Tests.Reference;
using Xunit;

namespace Specula.Tests.Engine;

/// <summary><c>specula chat</c> driven through its standard input, and <c>specula run</c>, in-process on the
/// scripted model; <c>run</c> without a model and without network as a separate process.</summary>
public sealed class ChatCommandTests(ScriptedModelFixture scripted) : IClassFixture<ScriptedModelFixture>, IDisposable
{
    readonly string _store = Directory.CreateTempSubdirectory("specula-store-").FullName;

    public void Dispose() => Directory.Delete(_store, recursive: true);

    HubOptions OfflineHub() => new() { Endpoint = new Uri($"http://127.0.0.1:{ClosedPort()}"), StoreRoot = _store, MaxAttempts = 1 };

    (int Exit, string Output, string Error) Run(string? input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { ChatCommand.Create(new StringReader(input ?? ""), OfflineHub), RunCommand.Create(OfflineHub) };
        try
        {
            int exit = root.Parse(args).InvokeAsync(new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false,
            }).GetAwaiter().GetResult();
            return (exit, output.ToString(), error.ToString());
        }
        catch (Exception ex) when (ex is CliException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            return (1, output.ToString(), error + $"error: {ex.Message}");
        }
    }

    /// <summary>The prompt ids printed by --verbose-prompt, with how many were reused from the cache.</summary>
    static List<(int[] Ids, int Reused)> Prompts(string error) =>
        error.Split('\n')
            .Where(line => line.StartsWith("prompt: ", StringComparison.Ordinal))
            .Select(line =>
            {
                int reusedStart = line.IndexOf('(') + 1;
                int reused = int.Parse(line[reusedStart..line.IndexOf(' ', reusedStart)]);
                var ids = line[(line.LastIndexOf(": ", StringComparison.Ordinal) + 2)..].Split(',').Select(int.Parse).ToArray();
                return (ids, reused);
            })
            .ToList();

    /// <summary>What the prompt must be, computed apart from the engine: the template rendered on JSON
    /// messages and tokenized by llama.cpp (the Qwen vocabulary adds no BOS).</summary>
    static int[] ExpectedPrompt(LlamaCppReference tokenizer, string template, params (string Role, string Content)[] messages)
    {
        var json = JsonSerializer.Serialize(messages.Select(m => new { role = m.Role, content = m.Content }));
        var context = new TemplateContext { Messages = TemplateValue.ParseJson(json), AddGenerationPrompt = true };
        return tokenizer.Tokenize(ChatTemplate.Parse(template).Render(context), addSpecial: true, parseSpecial: true);
    }

    [Fact]
    public void ChatFeedsTheRenderedConversationReusesTheCacheResetsAndExits()
    {
        const string input = "Hello there\nHow are\\\nyou?\n/reset\nAnother start\n/exit\nnever answered\n";
        var (exit, output, error) = Run(input, "chat", "-m", scripted.Path, "--system", "Be brief.", "--temp", "0", "-n", "50", "--verbose-prompt");
        Assert.True(exit == 0, error);

        // Every answer is the scripted "Hi!", ended by the end-of-turn token (the model would go on with "Hi"),
        // and stdout holds nothing else. The line after /exit is never answered.
        Assert.Equal("Hi!\nHi!\nHi!\n", output.ReplaceLineEndings("\n"));

        string template;
        using (var gguf = GgufReader.Open(scripted.Path)) template = ChatTemplateMetadata.Find(gguf.Metadata)!;
        using var reference = new LlamaCppReference(scripted.Path);
        var turn1 = ExpectedPrompt(reference, template, ("system", "Be brief."), ("user", "Hello there"));
        var turn2 = ExpectedPrompt(reference, template, ("system", "Be brief."), ("user", "Hello there"), ("assistant", "Hi!"),
            ("user", "How are\nyou?"));
        var afterReset = ExpectedPrompt(reference, template, ("system", "Be brief."), ("user", "Another start"));

        var prompts = Prompts(error);
        Assert.Equal(3, prompts.Count);
        Assert.Equal(turn1, prompts[0].Ids);
        Assert.Equal(0, prompts[0].Reused);
        Assert.Equal(turn2, prompts[1].Ids);
        // Turn 1's prompt and the evaluated "Hi" "!" were reused; the end-of-turn token was never evaluated.
        Assert.Equal(turn1.Length + 2, prompts[1].Reused);
        Assert.Equal(afterReset, prompts[2].Ids);
        int shared = 0;
        while (afterReset[shared] == turn2[shared]) shared++;
        Assert.Equal(shared, prompts[2].Reused); // the system prompt's tokens stay cached across /reset
        Assert.Contains("(new conversation)", error);
        Assert.Contains("end of answer", error);
    }

    [Fact]
    public void ChatEndsAtTheEndOfTheInput()
    {
        var (exit, output, error) = Run("Hello\n\nHello again", "chat", "-m", scripted.Path, "--seed", "7");
        Assert.True(exit == 0, error);
        Assert.Equal("Hi!\nHi!\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ChatReportsAConversationTooLongForTheContextAndGoesOn()
    {
        var longMessage = string.Join(' ', Enumerable.Repeat("word", 200));
        var (exit, output, error) = Run($"{longMessage}\nshort\n", "chat", "-m", scripted.Path, "-c", "64", "--temp", "0");
        Assert.True(exit == 0, error);
        Assert.Contains("context length is 64", error);
        Assert.Contains("/reset", error);
        Assert.Equal("Hi!\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ChatNeedsAChatTemplate()
    {
        var (exit, _, error) = Run("hi\n", "chat", "-m", TestPaths.Shared("models/stories260K.gguf"));
        Assert.Equal(1, exit);
        Assert.Contains("has no chat template", error);
        Assert.Contains("--template", error);
    }

    [Fact]
    public void RunChatAnswersAOneTurnConversation()
    {
        var (exit, output, error) = Run(null, "run", "-m", scripted.Path, "--chat", "--system", "Be brief.", "-p", "Hello there", "--temp", "0");
        Assert.True(exit == 0, error);
        Assert.Equal("Hi!\n", output.ReplaceLineEndings("\n"));
        Assert.Contains("end of answer", error);
    }

    [Fact]
    public void RunWithoutChatContinuesTheRawPrompt()
    {
        // The raw prompt ends in "Hello": the script continues with the split character and ends the turn
        // (the end-of-turn token is not printed).
        var (exit, output, error) = Run(null, "run", "-m", scripted.Path, "-p", "Hello", "--temp", "0", "--ids");
        Assert.True(exit == 0, error);
        Assert.Equal(string.Join(",", scripted.SplitCharacterTokens) + "\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void RunGreedyTokensMatchTheStoriesGoldenRun()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("models/stories260K.golden.json")));
        var c = golden.RootElement.GetProperty("cases")[1];
        var prompt = c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32());
        var greedy = c.GetProperty("greedy_ids").EnumerateArray().Take(40).Select(e => e.GetInt32());
        var (exit, output, error) = Run(null, "run", "-m", TestPaths.Shared("models/stories260K.gguf"), "--tokens", string.Join(",", prompt),
            "--temp", "0", "-n", "40", "--ids");
        Assert.True(exit == 0, error);
        Assert.Equal(string.Join(",", greedy), output.Trim());
    }

    [Fact]
    public void RunRejectsContradictoryOptions()
    {
        Assert.Contains("exactly one of -p PROMPT or --tokens", Run(null, "run", "-m", scripted.Path).Error);
        Assert.Contains("-n must not be negative", Run(null, "run", "-m", scripted.Path, "-p", "x", "-n", "-3").Error);
        Assert.Contains("need --chat", Run(null, "run", "-m", scripted.Path, "-p", "x", "--system", "y").Error);
        Assert.Contains("cannot be combined", Run(null, "run", "-m", scripted.Path, "--tokens", "1", "--chat").Error);
        Assert.Contains("Temperature", Run(null, "run", "-m", scripted.Path, "-p", "x", "--temp", "NaN").Error);
    }

    [Fact]
    public async Task RunWithoutAModelAndWithoutNetworkFailsWithOneLineSayingWhatToDo()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "specula.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { cli, "run", "-p", "What is the capital of France?" }) start.ArgumentList.Add(arg);
        start.Environment["HF_ENDPOINT"] = $"http://127.0.0.1:{ClosedPort()}";
        start.Environment["SPECULA_MODELS"] = _store;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        string stderr = await stderrTask;

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout);
        var lines = stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains("Qwen/Qwen2.5-0.5B-Instruct-GGUF", lines[0]);
        Assert.Contains("-m PATH", lines[0]);
    }

    /// <summary>A local port nothing listens on: bound, then released.</summary>
    static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
