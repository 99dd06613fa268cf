using System.CommandLine;
using Specula.Hub;
using Specula.Sampling;

namespace Specula.Cli.Commands;

/// <summary>
/// <c>specula chat [-m MODEL] [--system S] [sampling options]</c>: an interactive conversation over
/// stdin/stdout, rendered with the model's chat template; the KV cache of earlier turns is reused.
/// </summary>
public static class ChatCommand
{
    public static Command Create() => Create(null, HubOptions.FromEnvironment);

    /// <param name="input">Where user messages are read from (tests); null = standard input.</param>
    /// <param name="hub">Supplies hub and store settings when the command runs (tests pass their own).</param>
    public static Command Create(TextReader? input, Func<HubOptions> hub)
    {
        var generation = new GenerationArguments();
        var chat = new ChatArguments();
        var command = new Command("chat",
            "Chat with a model in the terminal: type a message, the answer streams back. /reset starts over, /exit quits.");
        generation.AddTo(command);
        chat.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var options = generation.Options(parse);
            using var model = await generation.LoadAsync(parse, hub, cancellationToken);
            options.Sampling.Validate(model.Tokenizer.VocabSize);
            var format = chat.Format(parse, model);
            var generator = model.CreateGenerator(generation.Runner(parse));
            var session = new Engine.ChatSession(generator, format, parse.GetValue(chat.System));
            error.WriteLine($"{Path.GetFileName(model.Path)}: context {generator.ContextLength} tokens");
            var random = SeededRandom.FromSeedOrEntropy(options.Sampling.Seed);
            new ChatRepl(session, options, random, input ?? Console.In, output, error, parse.GetValue(generation.VerbosePrompt))
                .Run(cancellationToken);
            return 0;
        });
        return command;
    }
}
