using Specula.Sampling;

namespace Specula.Engine;

/// <summary>What one generation may do: how tokens are chosen and how many.</summary>
public sealed record GenerationOptions
{
    /// <summary>Sampling chain, stop strings and stop token ids.</summary>
    public SamplingParams Sampling { get; init; } = SamplingParams.Default;

    /// <summary>Most tokens to generate; 0 or less means no limit (until an end-of-generation token, a stop,
    /// or a full context).</summary>
    public int MaxTokens { get; init; } = -1;
}
