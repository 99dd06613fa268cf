using System.Runtime.CompilerServices;

namespace Specula.Tensors;

/// <summary>IEEE half-precision conversions with ggml's exact semantics: float to half rounds to nearest
/// even (overflow becomes infinity), and every NaN becomes the canonical quiet NaN 0x7E00 with the input's
/// sign (ggml's portable conversion; <see cref="Half"/> would keep part of the payload instead).</summary>
public static class Fp16
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(Half value) => (float)value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Half FromFloat(float value) => BitConverter.UInt16BitsToHalf(BitsFromFloat(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort BitsFromFloat(float value)
    {
        if (float.IsNaN(value))
        {
            uint sign = BitConverter.SingleToUInt32Bits(value) >> 31;
            return (ushort)((sign << 15) | 0x7E00);
        }
        return BitConverter.HalfToUInt16Bits((Half)value);
    }

    /// <summary>Half bits (two bytes each, little-endian) to floats.</summary>
    public static void ToFloatRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(src);
        for (int i = 0; i < dst.Length; i++) dst[i] = ToFloat(halves[i]);
    }

    /// <summary>Floats to half bits (two bytes each, little-endian).</summary>
    public static void FromFloatRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var halves = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(dst);
        for (int i = 0; i < src.Length; i++) halves[i] = BitsFromFloat(src[i]);
    }
}
