using System.Runtime.CompilerServices;

namespace Specula.Kernels;

/// <summary>
/// e^x as ggml's AVX-512 CPU code computes it inside softmax and SiLU (its <c>ggml_v_expf</c>): n = round(x·log₂e)
/// by the 1.5·2²³ shift trick, b = x − n·ln2 in two fused steps, a degree-5 polynomial in b evaluated with
/// fused multiply-adds in a fixed tree, then scaled by 2ⁿ; |n| &gt; 192 gives 0 or +∞. It is within 1.5 ulp of
/// e^x, not correctly rounded, so reproducing it operation for operation is what makes our softmax and SiLU
/// bit-identical to llama.cpp's. The vector forms (<see cref="Of{T}"/>) and the scalar form give the same bits.
/// </summary>
internal static class GgmlExp
{
    static readonly float Shift = Bits(0x4B400000);   // 0x1.8p23
    static readonly float Log2E = Bits(0x3FB8AA3B);   // 0x1.715476p+0
    static readonly float Ln2Hi = Bits(0x3F317200);   // 0x1.62e4p-1
    static readonly float Ln2Lo = Bits(0x35BFBE8E);   // 0x1.7f7d1cp-20
    static readonly float C5 = Bits(0x3C072010);      // 0x1.0e4020p-7
    static readonly float C4 = Bits(0x3D2B9F17);      // 0x1.573e2ep-5
    static readonly float C3 = Bits(0x3E2AAF33);      // 0x1.555e66p-3
    static readonly float C2 = Bits(0x3EFFFEDB);      // 0x1.fffdb6p-2
    static readonly float C1 = Bits(0x3F7FFFF6);      // 0x1.ffffecp-1

    static float Bits(int bits) => BitConverter.Int32BitsToSingle(bits);

    /// <summary>e^x for one value, bit-identical to every lane of <see cref="Of{T}"/>.</summary>
    public static float Of(float x)
    {
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shift);
        float n = z - Shift;
        float b = MathF.FusedMultiplyAdd(-n, Ln2Lo, MathF.FusedMultiplyAdd(-n, Ln2Hi, x));
        float u = b * b;
        float j = MathF.FusedMultiplyAdd(
            MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(C5, b, C4), u, MathF.FusedMultiplyAdd(C3, b, C2)),
            u, MathF.FusedMultiplyAdd(C1, b, 1.0f));
        return ScaleByPowerOfTwo(j, n);
    }

    /// <summary>e^x lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Of<T>(T x) where T : unmanaged, ILanes16<T>
    {
        var z = T.MultiplyAdd(x, T.Broadcast(Log2E), T.Broadcast(Shift));
        var n = z - T.Broadcast(Shift);
        var minusN = T.Broadcast(0f) - n;
        var b = T.MultiplyAdd(minusN, T.Broadcast(Ln2Lo), T.MultiplyAdd(minusN, T.Broadcast(Ln2Hi), x));
        var u = b * b;
        var j = T.MultiplyAdd(
            T.MultiplyAdd(T.MultiplyAdd(T.Broadcast(C5), b, T.Broadcast(C4)), u, T.MultiplyAdd(T.Broadcast(C3), b, T.Broadcast(C2))),
            u, T.MultiplyAdd(T.Broadcast(C1), b, T.Broadcast(1.0f)));
        return T.ScaleByPowerOfTwo(j, n);
    }

    /// <summary>j·2ⁿ for an integral n (or ±∞/NaN), rounded once as <c>vscalefps</c> does, with ggml's
    /// override for |n| &gt; 192: 0 when n ≤ 0, +∞ otherwise. j is the polynomial's value, within [0.7, 1.5].</summary>
    public static float ScaleByPowerOfTwo(float j, float n)
    {
        if (MathF.Abs(n) > 192f) return n <= 0f ? 0f : float.PositiveInfinity;
        if (float.IsNaN(n) || float.IsNaN(j)) return float.NaN;
        int e = (int)n;
        // Scaling by a power of two inside the normal range is exact; the last multiplication rounds once
        // (to a subnormal, or to infinity, where the exact result lies there).
        if (e < -126) return j * Pow2(e + 100) * Pow2(-100);
        if (e > 127) return j * Pow2(e - 100) * Pow2(100);
        return j * Pow2(e);
    }

    static float Pow2(int e) => BitConverter.Int32BitsToSingle((e + 127) << 23);
}
