using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>bfloat16: the upper 16 bits of a float32 (same exponent range, 8 bits of significand).
/// Conversion from float follows ggml: round to nearest even on the dropped 16 bits, and a NaN keeps its
/// top bits with the quiet bit (0x40) forced on so truncation cannot turn it into infinity.</summary>
public static class Bf16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
            return (ushort)((bits >> 16) | 0x40);
        // Adding 0x7FFF plus the lowest kept bit rounds half-way cases to the even neighbour.
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static void ToFloatRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var values = MemoryMarshal.Cast<byte, ushort>(src);
        for (int i = 0; i < dst.Length; i++) dst[i] = ToFloat(values[i]);
    }

    public static void FromFloatRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var values = MemoryMarshal.Cast<byte, ushort>(dst);
        for (int i = 0; i < src.Length; i++) values[i] = FromFloat(src[i]);
    }
}
