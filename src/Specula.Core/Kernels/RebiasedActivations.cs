using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>
/// One thread's copy of the float activations times 2^112 (<see cref="HalfPairRows.Rebias"/>), for the F16
/// prefill tiles (<see cref="HalfPairKernels"/>): with the rebias on the activations, each weight register
/// needs no multiply of its own. Made once per matrix operation (the first time the thread multiplies an F16
/// chunk in it) and reused for its other chunks. Exact: an f16-rounded activation times 2^112 stays finite
/// (65504 · 2^112 &lt; 2^128), infinities and NaNs stay what they are, and the fused multiply-add rounds the
/// same real product.
/// </summary>
internal sealed unsafe class RebiasedActivations : IDisposable
{
    readonly NativeBuffer _values = new();
    QuantizedActivations? _source;
    int _stamp = -1;

    /// <summary>The rebiased rows of <paramref name="x"/> (same stride), converting them unless this thread
    /// already did for <paramref name="stamp"/> (which changes with every operation).</summary>
    public float* For(QuantizedActivations x, int tokens, int stamp)
    {
        var values = (float*)_values.Ensure((long)tokens * x.Stride * sizeof(float));
        if (stamp == _stamp && ReferenceEquals(x, _source)) return values;
        var rebias = Vector512.Create(HalfPairRows.Rebias);
        for (int t = 0; t < tokens; t++)
        {
            float* from = x.FloatRow(t), to = values + (long)t * x.Stride;
            // The stride is a multiple of 16; the padding past the columns is never read by the kernels.
            for (int i = 0; i < x.Columns; i += 16) (Vector512.Load(from + i) * rebias).Store(to + i);
        }
        _source = x;
        _stamp = stamp;
        return values;
    }

    public void Dispose() => _values.Dispose();
}
