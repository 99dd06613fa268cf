namespace Specula.Kernels;

/// <summary>Activation functions of the feed-forward block.</summary>
public static unsafe class Activations
{
    /// <summary>SwiGLU on one row: gate[i] = silu(gate[i]) · up[i], where silu(x) = x / (1 + e^-x).</summary>
    public static void SwiGluInPlace(Span<float> gate, ReadOnlySpan<float> up) => SwiGluInPlace(gate, up, gate.Length);

    /// <summary>
    /// SwiGLU on consecutive rows of <paramref name="rowLength"/>, as ggml's <c>swiglu</c> computes it: within
    /// each row, runs of 16 use ggml's vector exp (<see cref="GgmlExp"/>) and x / (1 + e^(0−x)), a tail shorter
    /// than 16 the C library's expf; then the product with up. Bit-identical to llama.cpp at any vector width.
    /// </summary>
    public static void SwiGluInPlace(Span<float> gate, ReadOnlySpan<float> up, int rowLength)
    {
        if (up.Length < gate.Length) throw new ArgumentException("SwiGLU: up is shorter than gate");
        if (rowLength <= 0 || gate.Length % rowLength != 0)
            throw new ArgumentException($"SwiGLU: {gate.Length} values are not whole rows of {rowLength}");
        fixed (float* g = gate)
        fixed (float* u = up)
        {
            for (int start = 0; start < gate.Length; start += rowLength)
            {
                switch (Lanes16.Current)
                {
                    case Lanes16.Width.W512: Row<Lanes512>(g + start, u + start, rowLength); break;
                    case Lanes16.Width.W256: Row<Lanes256>(g + start, u + start, rowLength); break;
                    default: Row<Lanes128>(g + start, u + start, rowLength); break;
                }
            }
        }
    }

    static void Row<T>(float* gate, float* up, int n) where T : unmanaged, ILanes16<T>
    {
        int i = 0;
        var one = T.Broadcast(1.0f);
        var zero = T.Broadcast(0.0f);
        for (; i + 16 <= n; i += 16)
        {
            var x = T.Load(gate + i);
            var silu = x / (one + GgmlExp.Of(zero - x));
            T.Store(silu * T.Load(up + i), gate + i);
        }
        for (; i < n; i++)
        {
            float x = gate[i];
            gate[i] = x / (1.0f + MathF.Exp(-x)) * up[i];
        }
    }
}
