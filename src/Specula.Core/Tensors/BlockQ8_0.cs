using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Specula.Tensors;

/// <summary>Q8_0: 32 values as signed 8-bit integers with one scale, 34 bytes. value = D * q, q in
/// -127..127. Used for weights and, on the fly, for activations multiplied by Q4_0/Q5_0/Q8_0 weights
/// (the integer dot product needs both sides in 32-element blocks).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_0
{
    public const int Elements = 32;
    public const int Bytes = 34;

    /// <summary>Scale (FP16): max |x| / 127.</summary>
    public Half D;
    /// <summary>Quants in element order.</summary>
    public SBytes32 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_0>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ8_0 block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            ReadOnlySpan<sbyte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements; j++) y[j] = qs[j] * d;
        }
    }

    /// <summary>Quantizes a row; same bytes as <see cref="QuantizeRowScalar"/>, vectorized where possible.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!Vector256.IsHardwareAccelerated) { QuantizeRowScalar(src, dst); return; }
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_0>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            if (!TryQuantizeBlockVector(x, ref blocks[b]))
                QuantizeBlockScalar(x, ref blocks[b]);
        }
    }

    /// <summary>ggml's quantize_row_q8_0_ref, written plainly.</summary>
    public static void QuantizeRowScalar(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_0>(dst);
        for (int b = 0; b < blocks.Length; b++)
            QuantizeBlockScalar(src.Slice(b * Elements, Elements), ref blocks[b]);
    }

    static void QuantizeBlockScalar(ReadOnlySpan<float> x, ref BlockQ8_0 block)
    {
        float amax = 0;
        for (int j = 0; j < Elements; j++) amax = QuantMath.CMax(amax, MathF.Abs(x[j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        block.D = Fp16.FromFloat(d);
        Span<sbyte> qs = block.Qs;
        for (int j = 0; j < Elements; j++)
            qs[j] = (sbyte)QuantMath.TruncateToInt32(QuantMath.RoundHalfAwayFromZero(x[j] * id));
    }

    static bool TryQuantizeBlockVector(ReadOnlySpan<float> x, ref BlockQ8_0 block)
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        int amaxBits = Q8Vector.MaxAbsBits(ref x0, Elements);
        if (amaxBits >= Q8Vector.NonFiniteBits) return false;
        float d = BitConverter.Int32BitsToSingle(amaxBits) / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        if (float.IsInfinity(id)) return false;

        var scale = Vector256.Create(id);
        var q0 = Vector256.ConvertToInt32(Q8Vector.RoundHalfAwayFromZero(Vector256.LoadUnsafe(ref x0, 0) * scale));
        var q1 = Vector256.ConvertToInt32(Q8Vector.RoundHalfAwayFromZero(Vector256.LoadUnsafe(ref x0, 8) * scale));
        var q2 = Vector256.ConvertToInt32(Q8Vector.RoundHalfAwayFromZero(Vector256.LoadUnsafe(ref x0, 16) * scale));
        var q3 = Vector256.ConvertToInt32(Q8Vector.RoundHalfAwayFromZero(Vector256.LoadUnsafe(ref x0, 24) * scale));
        block.D = Fp16.FromFloat(d);
        Span<sbyte> qs = block.Qs;
        Q8Vector.StoreInt8(q0, q1, q2, q3, ref MemoryMarshal.GetReference(qs));
        return true;
    }
}
