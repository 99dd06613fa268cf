using System.Text;
using Specula.Engine;
using Specula.Runtime;
using Specula.Sampling;
using Specula.Templates;

namespace Specula.Cli.Commands;

/// <summary>
/// The read-answer loop of <c>specula chat</c>. Each line read is a user message (a line ending in a
/// backslash continues on the next one); the answer streams to <paramref name="output"/> as it is generated
/// and ends with a newline, so stdout holds only the answers. Everything else (the input prompt marker,
/// notices, per-answer statistics) goes to <paramref name="error"/>. <c>/reset</c> starts the conversation
/// over, <c>/exit</c> (or the end of the input) ends the loop.
/// </summary>
sealed class ChatRepl(ChatSession session, GenerationOptions options, IRandomSource random,
                      TextReader input, TextWriter output, TextWriter error, bool verbosePrompt)
{
    const string Help = "/reset starts a new conversation, /exit quits (so does the end of the input); end a line with \\ to continue it";

    /// <summary>Dims the statistics line when stderr is a terminal.</summary>
    readonly bool _styled = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;
    /// <summary>Shows the "> " input marker only to someone typing.</summary>
    readonly bool _interactive = ReferenceEquals(input, Console.In) && !Console.IsInputRedirected;

    public void Run(CancellationToken cancellationToken)
    {
        if (_interactive) error.WriteLine(Help);
        while (!cancellationToken.IsCancellationRequested)
        {
            if (_interactive)
            {
                error.Write("> ");
                error.Flush();
            }
            var message = ReadMessage();
            if (message == null) break;
            switch (message.Trim())
            {
                case "":
                    continue;
                case "/exit" or "/quit":
                    return;
                case "/reset":
                    session.Reset();
                    error.WriteLine("(new conversation)");
                    continue;
                case "/help" or "/?":
                    error.WriteLine(Help);
                    continue;
            }
            Answer(message, cancellationToken);
        }
    }

    void Answer(string message, CancellationToken cancellationToken)
    {
        GenerationResult result;
        try
        {
            result = session.Send(message, options, random, piece =>
            {
                output.Write(piece);
                output.Flush();
            }, cancellationToken);
        }
        catch (ContextOverflowException ex)
        {
            error.WriteLine($"error: {ex.Message}; /reset starts a new conversation");
            return;
        }
        catch (Exception ex) when (ex is TemplateException or KvCacheFullException)
        {
            error.WriteLine($"error: {ex.Message}");
            return;
        }
        output.WriteLine();
        output.Flush();
        if (verbosePrompt) GenerationArguments.WritePromptTokens(error, session.LastPromptTokens, result.ReusedPromptTokens);
        var statistics = GenerationArguments.Statistics(result);
        error.WriteLine(_styled ? $"\u001b[2m{statistics}\u001b[0m" : statistics);
        if (result.FinishReason == FinishReason.ContextFull)
            error.WriteLine("the context is full; /reset starts a new conversation");
    }

    /// <summary>The next message: one line, or several joined when each but the last ends in a backslash.
    /// Null at the end of the input.</summary>
    string? ReadMessage()
    {
        var line = input.ReadLine();
        if (line == null) return null;
        if (!line.EndsWith('\\')) return line;
        var message = new StringBuilder();
        while (line != null && line.EndsWith('\\'))
        {
            message.Append(line, 0, line.Length - 1).Append('\n');
            line = input.ReadLine();
        }
        if (line != null) message.Append(line);
        return message.ToString();
    }
}
