using System.CommandLine;
using Specula.Engine;
using Specula.Hub;
using Specula.Runtime;
using Specula.Sampling;

namespace Specula.Cli.Commands;

/// <summary>
/// <c>specula run [-m MODEL] -p PROMPT [--chat [--system S]] [sampling options]</c>: generates a continuation of
/// the prompt and streams it to stdout (statistics go to stderr). With <c>--chat</c> the prompt is the user's
/// message of a one-turn conversation rendered with the model's chat template. Without <c>-m</c> a small
/// instruct model (<see cref="GenerationArguments.DefaultModel"/>) is used, pulled on first use, in chat mode.
/// <c>--tokens</c> gives the prompt as token ids and <c>--ids</c> prints the generated ids instead of text.
/// </summary>
public static class RunCommand
{
    public static Command Create() => Create(HubOptions.FromEnvironment);

    /// <param name="hub">Supplies hub and store settings when the command runs (tests pass their own).</param>
    public static Command Create(Func<HubOptions> hub)
    {
        var generation = new GenerationArguments();
        var chat = new ChatArguments();
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt text (with --chat: the user's message)" };
        var tokens = new Option<string>("--tokens") { Description = "The prompt as comma-separated token ids, instead of -p" };
        var useChat = new Option<bool>("--chat")
        {
            Description = "Render the prompt with the model's chat template as a user message (implied without -m)",
        };
        var printIds = new Option<bool>("--ids") { Description = "Print the generated token ids instead of the text" };
        var command = new Command("run", "Generate text from a prompt; streams the answer to stdout.") { prompt, tokens, useChat, printIds };
        generation.AddTo(command);
        chat.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var text = parse.GetValue(prompt);
            var tokenText = parse.GetValue(tokens);
            if ((text == null) == (tokenText == null))
                throw new CliException("give exactly one of -p PROMPT or --tokens 1,2,3");
            bool chatMode = parse.GetValue(useChat) || generation.UsesDefaultModel(parse);
            if (chatMode && tokenText != null)
                throw new CliException("--tokens gives raw token ids; it cannot be combined with --chat (or the default chat model)");
            if (!chatMode && (parse.GetValue(chat.System) != null || parse.GetValue(chat.Template) != null))
                throw new CliException("--system and --template need --chat");
            var options = generation.Options(parse);

            using var model = await generation.LoadAsync(parse, hub, cancellationToken);
            options.Sampling.Validate(model.Tokenizer.VocabSize);
            int[] ids;
            if (tokenText != null)
            {
                ids = TokenList.Parse(tokenText);
                TokenList.CheckRange(ids, model.Tokenizer.VocabSize);
            }
            else if (chatMode)
            {
                var messages = new List<ChatMessage>();
                if (parse.GetValue(chat.System) is { Length: > 0 } system) messages.Add(ChatMessage.System(system));
                messages.Add(ChatMessage.User(text!));
                ids = chat.Format(parse, model).PromptTokens(messages);
            }
            else
            {
                // As llama.cpp tokenizes a raw prompt: BOS as the vocabulary asks, special tokens parsed.
                ids = model.Tokenizer.Encode(text!, addSpecial: true, parseSpecial: true);
            }

            // A bounded answer needs no more context than prompt + answer: a smaller KV cache.
            int defaultContext = options.MaxTokens > 0
                ? (int)Math.Min(Math.Min(model.Model.Config.ContextLength, RunnerOptions.DefaultContextLength), (long)ids.Length + options.MaxTokens)
                : 0;
            var generator = model.CreateGenerator(generation.Runner(parse, defaultContext));
            if (parse.GetValue(generation.VerbosePrompt)) GenerationArguments.WritePromptTokens(error, ids, reused: 0);
            bool idsOnly = parse.GetValue(printIds);
            var result = generator.Generate(ids, options, SeededRandom.FromSeedOrEntropy(options.Sampling.Seed),
                idsOnly ? null : piece =>
                {
                    output.Write(piece);
                    output.Flush();
                }, cancellationToken);
            output.WriteLine(idsOnly ? string.Join(",", result.TokenIds) : "");
            error.WriteLine(GenerationArguments.Statistics(result));
            if (result.FinishReason == FinishReason.ContextFull)
                error.WriteLine($"note: stopped at the context length of {generator.ContextLength} tokens");
            return 0;
        });
        return command;
    }
}
