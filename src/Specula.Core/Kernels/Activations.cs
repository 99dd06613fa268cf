namespace Specula.Kernels;

/// <summary>Activation functions of the feed-forward block.</summary>
public static class Activations
{
    /// <summary>SwiGLU: gate[i] = silu(gate[i]) · up[i], where silu(x) = x / (1 + e^-x).</summary>
    public static void SwiGluInPlace(Span<float> gate, ReadOnlySpan<float> up)
    {
        if (up.Length < gate.Length) throw new ArgumentException("SwiGLU: up is shorter than gate");
        for (int i = 0; i < gate.Length; i++)
        {
            float g = gate[i];
            gate[i] = g / (1.0f + MathF.Exp(-g)) * up[i];
        }
    }
}
