using System.Numerics;

namespace Specula.Kernels;

/// <summary>Element-wise float arithmetic shared by the forward pass (residual connections, biases).</summary>
public static class Elementwise
{
    /// <summary>a += b element by element (exact at any vector width: one rounding per element).</summary>
    public static void Add(Span<float> a, ReadOnlySpan<float> b)
    {
        if (b.Length < a.Length) throw new ArgumentException($"cannot add {b.Length} values to {a.Length}");
        int i = 0, n = a.Length;
        int width = Vector<float>.Count;
        for (; i + width <= n; i += width)
            (new Vector<float>(a[i..]) + new Vector<float>(b[i..])).CopyTo(a[i..]);
        for (; i < n; i++) a[i] += b[i];
    }
}
