namespace Specula.Sampling;

/// <summary>One entry of a top-logprobs list: a token and its raw log-probability (see <see cref="Sampler"/>).</summary>
public readonly record struct TokenLogprob(int TokenId, float Logprob);
