namespace Specula.Engine;

/// <summary>What one generation produced, and how fast.</summary>
public sealed record GenerationResult
{
    /// <summary>The visible text: special tokens left out, a matched stop string and what followed it removed.</summary>
    public required string Text { get; init; }

    /// <summary>The generated tokens in order: every sampled token except an end-of-generation or stop token
    /// that ended the generation (see <see cref="EndTokenId"/>).</summary>
    public required IReadOnlyList<int> TokenIds { get; init; }

    /// <summary>The end-of-generation or stop token that ended the generation, if one did.</summary>
    public int? EndTokenId { get; init; }

    public required FinishReason FinishReason { get; init; }

    /// <summary>Length of the prompt in tokens.</summary>
    public required int PromptTokens { get; init; }

    /// <summary>How many leading prompt tokens were already in the KV cache and were not evaluated again.</summary>
    public required int ReusedPromptTokens { get; init; }

    /// <summary>Prompt tokens run through the model (<see cref="PromptTokens"/> minus the reused ones).</summary>
    public int EvaluatedPromptTokens => PromptTokens - ReusedPromptTokens;

    /// <summary>Time to evaluate the new prompt tokens, up to the logits of the first generated token.</summary>
    public required TimeSpan PrefillTime { get; init; }

    /// <summary>One-token forward passes after the prefill: every generated token is evaluated but the last.</summary>
    public required int DecodeSteps { get; init; }

    /// <summary>Time spent sampling and in the decode steps.</summary>
    public required TimeSpan DecodeTime { get; init; }

    public double PrefillTokensPerSecond => Rate(EvaluatedPromptTokens, PrefillTime);

    public double DecodeTokensPerSecond => Rate(DecodeSteps, DecodeTime);

    static double Rate(int tokens, TimeSpan time) => tokens > 0 && time > TimeSpan.Zero ? tokens / time.TotalSeconds : 0;
}
