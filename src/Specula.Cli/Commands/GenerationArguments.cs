using System.CommandLine;
using Specula.Engine;
using Specula.Runtime;
using Specula.Sampling;

namespace Specula.Cli.Commands;

/// <summary>
/// The options every generating command shares (names as llama.cpp's): model, context size, token limit,
/// the sampling chain, seed and stop strings. Defaults are llama.cpp's; <c>--temp 0</c> is greedy.
/// </summary>
sealed class GenerationArguments
{
    /// <summary>The model used when -m is not given: a small instruct model, pulled on first use.</summary>
    public const string DefaultModel = "Qwen/Qwen2.5-0.5B-Instruct-GGUF:Q4_K_M";

    static readonly SamplingParams Defaults = SamplingParams.Default;

    public Option<string> Model { get; } = new("--model", "-m")
    {
        Description = $"GGUF file, or hub model OWNER/REPO[:QUANT] (pulled on first use); default {DefaultModel}",
    };
    public Option<int> ContextSize { get; } = new("--ctx-size", "-c")
    {
        Description = $"Context length in tokens; 0 = the model's, at most {RunnerOptions.DefaultContextLength}",
    };
    public Option<int> MaxTokens { get; } = new("--max-tokens", "-n", "--predict")
    {
        Description = "Most tokens to generate per answer; -1 = until the model ends its answer or the context is full",
        DefaultValueFactory = _ => -1,
    };
    public Option<float> Temperature { get; } = new("--temp")
    {
        Description = "Sampling temperature; 0 = greedy (always the most likely token)",
        DefaultValueFactory = _ => Defaults.Temperature,
    };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens; 0 = off", DefaultValueFactory = _ => Defaults.TopK };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling mass; 1 = off", DefaultValueFactory = _ => Defaults.TopP };
    public Option<float> MinP { get; } = new("--min-p")
    {
        Description = "Drop tokens less likely than this fraction of the best; 0 = off",
        DefaultValueFactory = _ => Defaults.MinP,
    };
    public Option<float> RepeatPenalty { get; } = new("--repeat-penalty")
    {
        Description = "Penalty for repeating recent tokens; 1 = off",
        DefaultValueFactory = _ => Defaults.RepetitionPenalty,
    };
    public Option<int> RepeatLastN { get; } = new("--repeat-last-n")
    {
        Description = "How many recent tokens the penalties look at; -1 = all",
        DefaultValueFactory = _ => Defaults.PenaltyLastN,
    };
    public Option<float> PresencePenalty { get; } = new("--presence-penalty") { Description = "Subtracted once from tokens already present; 0 = off" };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "Subtracted per occurrence; 0 = off" };
    public Option<long?> Seed { get; } = new("--seed", "-s") { Description = "Random seed, for reproducible sampling; default: a fresh one each run" };
    public Option<string[]> Stop { get; } = new("--stop")
    {
        Description = "Stop when the text contains this string (repeatable); the stop string is not printed",
        AllowMultipleArgumentsPerToken = false,
    };
    public Option<string> KvType { get; } = KvTypeOption.Create();
    public Option<int> Threads { get; } = ThreadsOption.Create();
    public Option<bool> VerbosePrompt { get; } = new("--verbose-prompt") { Description = "Print the prompt's token ids to stderr (chat: after each answer, with how many came from the KV cache)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Model, ContextSize, MaxTokens, Temperature, TopK, TopP, MinP, RepeatPenalty, RepeatLastN,
                     PresencePenalty, FrequencyPenalty, Seed, Stop, KvType, Threads, VerbosePrompt,
                 })
            command.Options.Add(option);
    }

    public GenerationOptions Options(ParseResult parse)
    {
        var sampling = new SamplingParams
        {
            Temperature = parse.GetValue(Temperature),
            TopK = parse.GetValue(TopK),
            TopP = parse.GetValue(TopP),
            MinP = parse.GetValue(MinP),
            RepetitionPenalty = parse.GetValue(RepeatPenalty),
            PenaltyLastN = parse.GetValue(RepeatLastN),
            PresencePenalty = parse.GetValue(PresencePenalty),
            FrequencyPenalty = parse.GetValue(FrequencyPenalty),
            Seed = parse.GetValue(Seed),
            StopStrings = parse.GetValue(Stop) ?? [],
        };
        int maxTokens = parse.GetValue(MaxTokens);
        if (maxTokens < -1) throw new CliException($"-n must not be negative (except -1: no limit), got {maxTokens}");
        return new GenerationOptions { Sampling = sampling, MaxTokens = maxTokens };
    }

    /// <summary>One sequence, logits of one row per step. The context is --ctx-size, else
    /// <paramref name="defaultContext"/> when given, else the model's (at most the runner's default).</summary>
    public RunnerOptions Runner(ParseResult parse, int defaultContext = 0)
    {
        int context = parse.GetValue(ContextSize);
        if (context < 0) throw new CliException($"--ctx-size must be 0 (the model's) or a positive number of tokens, got {context}");
        return new RunnerOptions
        {
            ContextLength = context > 0 ? context : defaultContext, MaxSequences = 1, MaxLogitRows = 1,
            KvCacheType = KvTypeOption.Parse(parse.GetValue(KvType)),
        };
    }

    /// <summary>The -m argument, or the default model when it was left out.</summary>
    public string ModelArgument(ParseResult parse) => parse.GetValue(Model) ?? DefaultModel;

    public bool UsesDefaultModel(ParseResult parse) => parse.GetValue(Model) == null;

    /// <summary>Sizes the compute pool from --threads, resolves the model argument (pulling a hub model with a
    /// progress bar) and opens it.</summary>
    public async Task<LoadedModel> LoadAsync(ParseResult parse, Func<Hub.HubOptions> hub, CancellationToken cancellationToken)
    {
        ThreadsOption.Apply(parse.GetValue(Threads));
        var error = parse.InvocationConfiguration.Error;
        string path = await Hub.ModelReference.ResolveAsync(ModelArgument(parse), hub(), DownloadProgressBar.ForConsole(error), cancellationToken);
        return LoadedModel.Load(path);
    }

    public static void WritePromptTokens(TextWriter error, IReadOnlyList<int> tokens, int reused) =>
        error.WriteLine($"prompt: {tokens.Count} tokens ({reused} reused from the cache): {string.Join(",", tokens)}");

    /// <summary>One line of counts and speeds, e.g. for stderr after an answer.</summary>
    public static string Statistics(GenerationResult result)
    {
        var prompt = result.ReusedPromptTokens > 0
            ? $"{result.EvaluatedPromptTokens} new prompt tokens ({result.ReusedPromptTokens} reused)"
            : $"{result.PromptTokens} prompt tokens";
        var prefill = result.EvaluatedPromptTokens > 0 ? $" at {result.PrefillTokensPerSecond:0.0} tok/s" : "";
        var decode = result.DecodeSteps > 0 ? $" at {result.DecodeTokensPerSecond:0.0} tok/s" : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{prompt}{prefill}; {result.TokenIds.Count} generated{decode}; {Describe(result.FinishReason)}]");
    }

    static string Describe(FinishReason reason) => reason switch
    {
        FinishReason.EndOfGeneration => "end of answer",
        FinishReason.StopToken => "stop token",
        FinishReason.StopString => "stop string",
        FinishReason.MaxTokens => "token limit",
        FinishReason.ContextFull => "context full",
        FinishReason.Cancelled => "cancelled",
        _ => reason.ToString(),
    };
}
