namespace Specula.Sampling;

/// <summary>
/// The outcome of one sampling step: the chosen token and, when logprobs were requested, its
/// log-probability under the raw model distribution (see <see cref="Sampler"/>); null otherwise.
/// </summary>
public readonly record struct SampledToken(int TokenId, float? Logprob);
