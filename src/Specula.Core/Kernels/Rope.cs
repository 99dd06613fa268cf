namespace Specula.Kernels;

/// <summary>How the rotated dimensions of a head are paired.</summary>
public enum RopeStyle
{
    /// <summary>Adjacent pairs (x[2i], x[2i+1]): GGUF's layout for llama-family models.</summary>
    Normal,
    /// <summary>Halves (x[i], x[i + d/2]): GPT-NeoX layout, used by Qwen2/Qwen3.</summary>
    Neox,
}

/// <summary>
/// Rotary position embedding. The angles follow llama.cpp's recurrence exactly: θ₀ = position,
/// θᵢ₊₁ = θᵢ · base^(-2/d) in float, each divided by an optional per-dimension frequency factor (Llama 3's
/// rope_freqs) and multiplied by the linear frequency scale; the rotation rounds as ggml's compiled code does
/// (x₀·cos − x₁·sin with the first product fused), so rotated heads equal llama.cpp's to the bit.
/// </summary>
public static class Rope
{
    /// <summary>Fills <paramref name="cosSin"/> (length <paramref name="ropeDimensions"/>) with interleaved
    /// (cos θᵢ, sin θᵢ) for one position.</summary>
    public static void ComputeAngles(int position, int ropeDimensions, float freqBase, float freqScale,
        ReadOnlySpan<float> freqFactors, Span<float> cosSin)
    {
        float thetaScale = MathF.Pow(freqBase, -2.0f / ropeDimensions);
        float theta = position;
        for (int i = 0; i < ropeDimensions; i += 2)
        {
            float factor = freqFactors.IsEmpty ? 1.0f : freqFactors[i / 2];
            float angle = freqScale * (theta / factor);
            cosSin[i] = MathF.Cos(angle);
            cosSin[i + 1] = MathF.Sin(angle);
            theta *= thetaScale;
        }
    }

    /// <summary>Rotates the first <paramref name="ropeDimensions"/> dimensions of each of
    /// <paramref name="headCount"/> heads (each <paramref name="headDim"/> long) in place; the remaining
    /// dimensions of a head pass through.</summary>
    public static void Apply(Span<float> heads, int headCount, int headDim, int ropeDimensions, RopeStyle style,
        ReadOnlySpan<float> cosSin)
    {
        int half = ropeDimensions / 2;
        for (int h = 0; h < headCount; h++)
        {
            var head = heads.Slice(h * headDim, headDim);
            for (int i = 0; i < ropeDimensions; i += 2)
            {
                float cos = cosSin[i], sin = cosSin[i + 1];
                // Normal pairs element i with i+1; NeoX pairs element i/2 with i/2 + d/2.
                int a = style == RopeStyle.Normal ? i : i / 2;
                int b = style == RopeStyle.Normal ? i + 1 : i / 2 + half;
                float x0 = head[a], x1 = head[b];
                // ggml's compiled rotation fuses the first product of each line with the final add.
                head[a] = MathF.FusedMultiplyAdd(x0, cos, -(x1 * sin));
                head[b] = MathF.FusedMultiplyAdd(x0, sin, x1 * cos);
            }
        }
    }
}
