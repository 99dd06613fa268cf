using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Specula.Tensors;

/// <summary>Q8_K: 256 values as signed 8-bit integers with a float32 scale and per-16 sums, 292 bytes.
/// Activation type for dot products with the K-quants: value = D * q, q in -127..127 (the largest
/// magnitude maps to -127 exactly, its sign carried by D).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ8_K
{
    public const int Elements = 256;
    public const int Bytes = 292;

    /// <summary>Scale (float32, not FP16: activations span a wide range and this block is never stored).</summary>
    public float D;
    /// <summary>Quants in element order.</summary>
    public SBytes256 Qs;
    /// <summary>Sum of each group of 16 quants: the K-quant dot products use them to apply their per-group
    /// minimums without touching the quants again.</summary>
    public Shorts16 Bsums;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ8_K block = ref blocks[b];
            float d = block.D;
            ReadOnlySpan<sbyte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements; j++) y[j] = d * qs[j];
        }
    }

    /// <summary>Quantizes a row; same bytes as <see cref="QuantizeRowScalar"/>, vectorized where possible.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!Vector256.IsHardwareAccelerated) { QuantizeRowScalar(src, dst); return; }
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            if (!TryQuantizeBlockVector(x, ref blocks[b]))
                QuantizeBlockScalar(x, ref blocks[b]);
        }
    }

    /// <summary>ggml's quantize_row_q8_K_ref, written plainly. (For an all-zero block ggml leaves the
    /// sums untouched; we write zeros, which is what they are.)</summary>
    public static void QuantizeRowScalar(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ8_K>(dst);
        for (int b = 0; b < blocks.Length; b++)
            QuantizeBlockScalar(src.Slice(b * Elements, Elements), ref blocks[b]);
    }

    static void QuantizeBlockScalar(ReadOnlySpan<float> x, ref BlockQ8_K block)
    {
        Span<sbyte> qs = block.Qs;
        Span<short> bsums = block.Bsums;
        float max = 0, amax = 0;
        for (int j = 0; j < Elements; j++)
        {
            float ax = MathF.Abs(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (amax == 0)
        {
            block.D = 0;
            qs.Clear();
            bsums.Clear();
            return;
        }
        float iscale = -127f / max;
        for (int j = 0; j < Elements; j++)
            qs[j] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * x[j]));
        for (int g = 0; g < Elements / 16; g++)
        {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += qs[g * 16 + i];
            bsums[g] = (short)sum;
        }
        block.D = 1 / iscale;
    }

    static bool TryQuantizeBlockVector(ReadOnlySpan<float> x, ref BlockQ8_K block)
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        int amaxBits = Q8Vector.MaxAbsBits(ref x0, Elements);
        if (amaxBits >= Q8Vector.NonFiniteBits || amaxBits == 0) return false;

        // ggml keeps the sign of the first element of largest magnitude.
        var target = Vector256.Create(amaxBits);
        int first = -1;
        for (int i = 0; i < Elements; i += 8)
        {
            uint hits = Vector256.Equals(Q8Vector.AbsBits(Vector256.LoadUnsafe(ref x0, (nuint)i)), target).ExtractMostSignificantBits();
            if (hits != 0) { first = i + BitOperations.TrailingZeroCount(hits); break; }
        }
        float iscale = -127f / x[first];
        if (float.IsInfinity(iscale)) return false;

        var scale = Vector256.Create(iscale);
        var limit = Vector256.Create(127);
        Span<sbyte> qs = block.Qs;
        Span<short> bsums = block.Bsums;
        ref sbyte q = ref MemoryMarshal.GetReference(qs);
        for (int i = 0; i < Elements; i += 32)
        {
            // |iscale * x| <= 127 (+ rounding), far inside nearest_int's exact range, where it is round-to-even.
            var q0 = Vector256.Min(limit, Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x0, (nuint)i) * scale)));
            var q1 = Vector256.Min(limit, Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x0, (nuint)i + 8) * scale)));
            var q2 = Vector256.Min(limit, Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x0, (nuint)i + 16) * scale)));
            var q3 = Vector256.Min(limit, Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x0, (nuint)i + 24) * scale)));
            Q8Vector.StoreInt8(q0, q1, q2, q3, ref Unsafe.Add(ref q, i));
            bsums[i / 16] = (short)Vector256.Sum(q0 + q1);
            bsums[i / 16 + 1] = (short)Vector256.Sum(q2 + q3);
        }
        block.D = 1 / iscale;
        return true;
    }
}
