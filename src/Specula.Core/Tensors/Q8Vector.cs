using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Specula.Tensors;

/// <summary>Vector pieces shared by the fast 8-bit activation quantizers (Q8_0, Q8_1, Q8_K). Each gives
/// exactly the value ggml's scalar reference computes for finite inputs; callers fall back to the scalar
/// form for blocks holding NaN/infinity or scales whose reciprocal overflows.</summary>
internal static class Q8Vector
{
    /// <summary>Bits of |x| as integers: for non-negative floats the integer order is the float order, and
    /// anything at or above 0x7F800000 is infinity or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AbsBits(Vector256<float> x) => x.AsInt32() & Vector256.Create(0x7FFF_FFFF);

    /// <summary>Bits of the largest |x| over <paramref name="count"/> floats (a multiple of 8).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MaxAbsBits(ref float x, int count)
    {
        Vector256<int> max = Vector256<int>.Zero;
        for (int i = 0; i < count; i += 8)
            max = Vector256.Max(max, AbsBits(Vector256.LoadUnsafe(ref x, (nuint)i)));
        var half = Vector128.Max(max.GetLower(), max.GetUpper());
        half = Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(2, 3, 0, 1)));
        half = Vector128.Max(half, Vector128.Shuffle(half, Vector128.Create(1, 0, 3, 2)));
        return half.ToScalar();
    }

    public const int NonFiniteBits = 0x7F80_0000;

    /// <summary>C's roundf (half-way away from zero) for |x| well below 2^23: truncate, then step away
    /// from zero when the exact fractional part is at least one half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundHalfAwayFromZero(Vector256<float> x)
    {
        Vector256<float> truncated = Vector256.Truncate(x);
        Vector256<float> awayFromZero = (Vector256.Create(1f).AsInt32() | (x.AsInt32() & Vector256.Create(int.MinValue))).AsSingle();
        Vector256<float> roundUp = Vector256.GreaterThanOrEqual(Vector256.Abs(x - truncated), Vector256.Create(0.5f));
        return truncated + (awayFromZero & roundUp);
    }

    /// <summary>Narrows 32 integers to bytes at <paramref name="dst"/>, saturating like the x86 pack
    /// instructions (the quantizers only produce values in range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt8(Vector256<int> a, Vector256<int> b, Vector256<int> c, Vector256<int> d, ref sbyte dst)
    {
        var min = Vector256.Create((int)sbyte.MinValue);
        var max = Vector256.Create((int)sbyte.MaxValue);
        a = Vector256.Min(Vector256.Max(a, min), max);
        b = Vector256.Min(Vector256.Max(b, min), max);
        c = Vector256.Min(Vector256.Max(c, min), max);
        d = Vector256.Min(Vector256.Max(d, min), max);
        Vector256<sbyte> packed = Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d));
        packed.StoreUnsafe(ref dst);
    }
}
