using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// The integer step shared by every quantized kernel: unsigned bytes times signed bytes, adjacent products
/// added into int16 pair lanes (which never saturate for the value ranges used here), then pairs of those
/// multiplied by int16 weights (ones, or sub-block scales) and added into int32 lanes. Lane i of the result
/// therefore always covers values 4i..4i+3 of the vector, at every width.
/// </summary>
internal static class Int8Dot
{
    /// <summary>u·s of adjacent bytes added into int16 lanes (lane i: bytes 2i and 2i+1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Pairs(Vector512<byte> u, Vector512<sbyte> s) => Avx512BW.MultiplyAddAdjacent(u, s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Pairs(Vector256<byte> u, Vector256<sbyte> s) => Avx2.MultiplyAddAdjacent(u, s);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<short> Pairs(Vector128<byte> u, Vector128<sbyte> s)
    {
        if (Ssse3.IsSupported) return Ssse3.MultiplyAddAdjacent(u, s);
        Span<short> lanes = stackalloc short[8];
        for (int i = 0; i < 8; i++)
            lanes[i] = (short)Math.Clamp(u.GetElement(2 * i) * s.GetElement(2 * i) + u.GetElement(2 * i + 1) * s.GetElement(2 * i + 1), short.MinValue, short.MaxValue);
        return Vector128.Create(lanes);
    }

    /// <summary>Adjacent int16 lanes added into int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Widen(Vector512<short> pairs) => Avx512BW.MultiplyAddAdjacent(pairs, Vector512<short>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Widen(Vector256<short> pairs) => Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Widen(Vector128<short> pairs)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(pairs, Vector128<short>.One);
        var (low, high) = Vector128.Widen(pairs);
        return Vector128.Create(low.GetElement(0) + low.GetElement(1), low.GetElement(2) + low.GetElement(3),
            high.GetElement(0) + high.GetElement(1), high.GetElement(2) + high.GetElement(3));
    }

    /// <summary>a·b of adjacent int16 lanes added into int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MultiplyAdd(Vector512<short> a, Vector512<short> b) => Avx512BW.MultiplyAddAdjacent(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAdd(Vector256<short> a, Vector256<short> b) => Avx2.MultiplyAddAdjacent(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplyAdd(Vector128<short> a, Vector128<short> b)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a, b);
        return Vector128.Create(a[0] * b[0] + a[1] * b[1], a[2] * b[2] + a[3] * b[3],
            a[4] * b[4] + a[5] * b[5], a[6] * b[6] + a[7] * b[7]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Quads(Vector512<byte> u, Vector512<sbyte> s, Vector512<short> pairWeights) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), pairWeights);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Quads(Vector256<byte> u, Vector256<sbyte> s, Vector256<short> pairWeights) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), pairWeights);

    /// <summary>The portable 128-bit form (SSSE3 where present, plain arithmetic elsewhere).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Quads(Vector128<byte> u, Vector128<sbyte> s, Vector128<short> pairWeights)
    {
        if (Ssse3.IsSupported)
            return Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(u, s), pairWeights);
        return QuadsPortable(u, s, pairWeights);
    }

    static Vector128<int> QuadsPortable(Vector128<byte> u, Vector128<sbyte> s, Vector128<short> pairWeights)
    {
        Span<int> lanes = stackalloc int[4];
        for (int i = 0; i < 4; i++)
        {
            int p0 = u.GetElement(4 * i) * s.GetElement(4 * i) + u.GetElement(4 * i + 1) * s.GetElement(4 * i + 1);
            int p1 = u.GetElement(4 * i + 2) * s.GetElement(4 * i + 2) + u.GetElement(4 * i + 3) * s.GetElement(4 * i + 3);
            lanes[i] = p0 * pairWeights.GetElement(2 * i) + p1 * pairWeights.GetElement(2 * i + 1);
        }
        return Vector128.Create(lanes[0], lanes[1], lanes[2], lanes[3]);
    }

    /// <summary><paramref name="acc"/> plus the sums of four adjacent u·s byte products (lane i: bytes 4i..4i+3),
    /// what <c>Widen(Pairs(u, s))</c> adds. With AVX-VNNI (256/128-bit <c>vpdpbusd</c>, e.g. Intel client CPUs
    /// since Alder Lake) it is one instruction; the result is the same because the pair step never saturates
    /// for the value ranges used here (a pair sum of 2·255·127 is only possible with unsigned bytes above 128,
    /// which no weight format produces; Q8_0's |w| stays at most 128 against activations of at most 127).
    /// .NET 10 exposes no 512-bit VNNI class for AVX512-VNNI, so the 512-bit kernels keep the two steps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AddQuads(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, u, s) : acc + Widen(Pairs(u, s));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> AddQuads(Vector128<int> acc, Vector128<byte> u, Vector128<sbyte> s) =>
        AvxVnni.IsSupported ? AvxVnni.MultiplyWideningAndAdd(acc, u, s) : acc + Widen(Pairs(u, s));

    /// <summary>For signed weights (Q8_0): |w| and x with w's sign, so that the unsigned × signed step
    /// computes w·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<byte> Magnitude, Vector512<sbyte> SignedX) MoveSign(Vector512<sbyte> w, Vector512<sbyte> x, Vector512<sbyte> negX)
    {
        var negative = Vector512.LessThan(w, Vector512<sbyte>.Zero);
        return (Vector512.Abs(w).AsByte(), Vector512.ConditionalSelect(negative, negX, x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<byte> Magnitude, Vector256<sbyte> SignedX) MoveSign(Vector256<sbyte> w, Vector256<sbyte> x)
    {
        if (Avx2.IsSupported) return (Avx2.Abs(w), Avx2.Sign(x, w));
        var negative = Vector256.LessThan(w, Vector256<sbyte>.Zero);
        return (Vector256.Abs(w).AsByte(), Vector256.ConditionalSelect(negative, -x, x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<byte> Magnitude, Vector128<sbyte> SignedX) MoveSign(Vector128<sbyte> w, Vector128<sbyte> x)
    {
        if (Ssse3.IsSupported) return (Ssse3.Abs(w), Ssse3.Sign(x, w));
        var negative = Vector128.LessThan(w, Vector128<sbyte>.Zero);
        var zero = Vector128.Equals(w, Vector128<sbyte>.Zero);
        return (Vector128.Abs(w).AsByte(), Vector128.ConditionalSelect(negative, -x, x) & ~zero);
    }
}
