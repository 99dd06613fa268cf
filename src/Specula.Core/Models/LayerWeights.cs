using Specula.Kernels;

namespace Specula.Models;

/// <summary>The weights of one decoder block. Matrices stay in the memory-mapped file; the small vectors
/// (norms, biases) are copied to float arrays.</summary>
public sealed class LayerWeights
{
    public required float[] AttentionNorm { get; init; }
    public required WeightMatrix Query { get; init; }
    public required WeightMatrix Key { get; init; }
    public required WeightMatrix Value { get; init; }
    public required WeightMatrix AttentionOutput { get; init; }
    public float[]? QueryBias { get; init; }
    public float[]? KeyBias { get; init; }
    public float[]? ValueBias { get; init; }
    public float[]? AttentionOutputBias { get; init; }
    /// <summary>Qwen3's per-head RMS norm weights (KeyLength each), null elsewhere.</summary>
    public float[]? QueryNorm { get; init; }
    public float[]? KeyNorm { get; init; }

    public required float[] FeedForwardNorm { get; init; }
    public required WeightMatrix Gate { get; init; }
    public required WeightMatrix Up { get; init; }
    public required WeightMatrix Down { get; init; }
}
