using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// Scalar reference dot products, one per weight type, written for clarity: a weight row in its ggml block
/// layout against an activation row already converted to <see cref="VecDotType.For"/> of that type, also
/// in ggml's block layout. Integer sums are exact; each block's contribution is added to one float total in
/// block order, as ggml's generic code does. The fast kernels are tested against these.
/// </summary>
public static class ReferenceDot
{
    public static float Dot(GgmlType weightType, ReadOnlySpan<byte> weights, ReadOnlySpan<byte> activations, int columns) =>
        weightType switch
        {
            GgmlType.F32 => DotF32(MemoryMarshal.Cast<byte, float>(weights), MemoryMarshal.Cast<byte, float>(activations), columns),
            GgmlType.F16 => DotF16(weights, activations, columns),
            GgmlType.BF16 => DotBF16(weights, activations, columns),
            GgmlType.Q4_0 => DotQ4_0(weights, activations, columns),
            GgmlType.Q4_1 => DotQ4_1(weights, activations, columns),
            GgmlType.Q5_0 => DotQ5_0(weights, activations, columns),
            GgmlType.Q5_1 => DotQ5_1(weights, activations, columns),
            GgmlType.Q8_0 => DotQ8_0(weights, activations, columns),
            GgmlType.Q2_K => DotQ2_K(weights, activations, columns),
            GgmlType.Q3_K => DotQ3_K(weights, activations, columns),
            GgmlType.Q4_K => DotQ4_K(weights, activations, columns),
            GgmlType.Q5_K => DotQ5_K(weights, activations, columns),
            GgmlType.Q6_K => DotQ6_K(weights, activations, columns),
            _ => throw new NotSupportedException($"no reference dot product for {weightType}"),
        };

    static float Half(ReadOnlySpan<byte> bytes, int offset) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]));

    static float Bf16(ReadOnlySpan<byte> bytes, int offset) =>
        BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[offset..]) << 16);

    static float Single(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadSingleLittleEndian(bytes[offset..]);

    static short Int16(ReadOnlySpan<byte> bytes, int offset) => BinaryPrimitives.ReadInt16LittleEndian(bytes[offset..]);

    static float DotF32(ReadOnlySpan<float> w, ReadOnlySpan<float> x, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(w[i] * x[i]);
        return (float)sum;
    }

    static float DotF16(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(Half(w, 2 * i) * Half(x, 2 * i));
        return (float)sum;
    }

    static float DotBF16(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(Bf16(w, 2 * i) * Bf16(x, 2 * i));
        return (float)sum;
    }

    // Q8_0 activation block: d (f16), qs[32].  Q8_1: d (f16), s = d * Σqs (f16), qs[32].
    // Q8_K: d (f32), qs[256], bsums[16] (sums of each 16 consecutive qs).

    static float DotQ4_0(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 32; b++)
        {
            var wb = w.Slice(b * 18, 18);
            var xb = x.Slice(b * 34, 34);
            int isum = 0;
            for (int j = 0; j < 16; j++)
            {
                isum += ((wb[2 + j] & 0x0F) - 8) * (sbyte)xb[2 + j];
                isum += ((wb[2 + j] >> 4) - 8) * (sbyte)xb[2 + j + 16];
            }
            sum += isum * (Half(wb, 0) * Half(xb, 0));
        }
        return sum;
    }

    static float DotQ4_1(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 32; b++)
        {
            var wb = w.Slice(b * 20, 20);
            var xb = x.Slice(b * 36, 36);
            int isum = 0;
            for (int j = 0; j < 16; j++)
            {
                isum += (wb[4 + j] & 0x0F) * (sbyte)xb[4 + j];
                isum += (wb[4 + j] >> 4) * (sbyte)xb[4 + j + 16];
            }
            sum += Half(wb, 0) * Half(xb, 0) * isum + Half(wb, 2) * Half(xb, 2);
        }
        return sum;
    }

    static float DotQ5_0(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 32; b++)
        {
            var wb = w.Slice(b * 22, 22);
            var xb = x.Slice(b * 34, 34);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(wb[2..]);
            int isum = 0;
            for (int j = 0; j < 16; j++)
            {
                int lo = (wb[6 + j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
                int hi = (wb[6 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
                isum += (lo - 16) * (sbyte)xb[2 + j];
                isum += (hi - 16) * (sbyte)xb[2 + j + 16];
            }
            sum += isum * (Half(wb, 0) * Half(xb, 0));
        }
        return sum;
    }

    static float DotQ5_1(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 32; b++)
        {
            var wb = w.Slice(b * 24, 24);
            var xb = x.Slice(b * 36, 36);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(wb[4..]);
            int isum = 0;
            for (int j = 0; j < 16; j++)
            {
                int lo = (wb[8 + j] & 0x0F) | (int)(((qh >> j) & 1) << 4);
                int hi = (wb[8 + j] >> 4) | (int)(((qh >> (j + 16)) & 1) << 4);
                isum += lo * (sbyte)xb[4 + j];
                isum += hi * (sbyte)xb[4 + j + 16];
            }
            sum += Half(wb, 0) * Half(xb, 0) * isum + Half(wb, 2) * Half(xb, 2);
        }
        return sum;
    }

    static float DotQ8_0(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 32; b++)
        {
            var wb = w.Slice(b * 34, 34);
            var xb = x.Slice(b * 34, 34);
            int isum = 0;
            for (int j = 0; j < 32; j++) isum += (sbyte)wb[2 + j] * (sbyte)xb[2 + j];
            sum += isum * (Half(wb, 0) * Half(xb, 0));
        }
        return sum;
    }

    // Q2_K block (84 bytes): scales[16] (low nibble scale, high nibble min, one per 16 values), qs[64]
    // (2 bits each), d (f16), dmin (f16). Value = d * scale * q - dmin * min.
    static float DotQ2_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 256; b++)
        {
            var wb = w.Slice(b * 84, 84);
            var xb = x.Slice(b * 292, 292);
            var scales = wb[..16];
            var qs = wb.Slice(16, 64);
            int isum = 0, minSum = 0;
            for (int j = 0; j < 16; j++) minSum += Int16(xb, 260 + 2 * j) * (scales[j] >> 4);
            for (int i = 0; i < 256; i++)
            {
                // Element i: 128-value half h, 32-value group g within it (2-bit plane), lane l in 0..31.
                int h = i / 128, g = (i % 128) / 32, l = i % 32;
                int q = (qs[h * 32 + l] >> (2 * g)) & 3;
                isum += (scales[i / 16] & 0x0F) * q * (sbyte)xb[4 + i];
            }
            float dx = Single(xb, 0);
            sum += dx * Half(wb, 80) * isum - dx * Half(wb, 82) * minSum;
        }
        return sum;
    }

    // Q3_K block (110 bytes): hmask[32] (high bit), qs[64] (low 2 bits), scales[12] (16 six-bit scales,
    // offset 32), d (f16). Value = d * (scale - 32) * (q - (high bit set ? 0 : 4)).
    static float DotQ3_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        Span<int> scales = stackalloc int[16];
        float sum = 0;
        for (int b = 0; b < n / 256; b++)
        {
            var wb = w.Slice(b * 110, 110);
            var xb = x.Slice(b * 292, 292);
            var hmask = wb[..32];
            var qs = wb.Slice(32, 64);
            KQuantScales.UnpackQ3K(wb.Slice(96, 12), scales);
            int isum = 0;
            for (int i = 0; i < 256; i++)
            {
                int h = i / 128, g = (i % 128) / 32, l = i % 32;
                int q = (qs[h * 32 + l] >> (2 * g)) & 3;
                if ((hmask[l] & (1 << (h * 4 + g))) == 0) q -= 4;
                isum += (scales[i / 16] - 32) * q * (sbyte)xb[4 + i];
            }
            sum += Single(xb, 0) * Half(wb, 108) * isum;
        }
        return sum;
    }

    // Q4_K block (144 bytes): d, dmin (f16), scales[12] (8 six-bit scales and mins, one per 32 values),
    // qs[128]: values 64k..64k+31 in the low nibbles of qs[32k..], 64k+32.. in the high nibbles.
    static float DotQ4_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        Span<int> scales = stackalloc int[8];
        Span<int> mins = stackalloc int[8];
        float sum = 0;
        for (int b = 0; b < n / 256; b++)
        {
            var wb = w.Slice(b * 144, 144);
            var xb = x.Slice(b * 292, 292);
            KQuantScales.UnpackScaleMin(wb.Slice(4, 12), scales, mins);
            var qs = wb.Slice(16, 128);
            int isum = 0, minSum = 0;
            for (int j = 0; j < 16; j++) minSum += Int16(xb, 260 + 2 * j) * mins[j / 2];
            for (int i = 0; i < 256; i++)
            {
                int k = i / 64, l = i % 32;
                int q = (i % 64) < 32 ? qs[k * 32 + l] & 0x0F : qs[k * 32 + l] >> 4;
                isum += scales[i / 32] * q * (sbyte)xb[4 + i];
            }
            float dx = Single(xb, 0);
            sum += dx * Half(wb, 0) * isum - dx * Half(wb, 2) * minSum;
        }
        return sum;
    }

    // Q5_K block (176 bytes): as Q4_K plus qh[32]: bit 2k of qh[l] is the fifth bit of value 64k+l, bit 2k+1
    // that of value 64k+32+l.
    static float DotQ5_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        Span<int> scales = stackalloc int[8];
        Span<int> mins = stackalloc int[8];
        float sum = 0;
        for (int b = 0; b < n / 256; b++)
        {
            var wb = w.Slice(b * 176, 176);
            var xb = x.Slice(b * 292, 292);
            KQuantScales.UnpackScaleMin(wb.Slice(4, 12), scales, mins);
            var qh = wb.Slice(16, 32);
            var qs = wb.Slice(48, 128);
            int isum = 0, minSum = 0;
            for (int j = 0; j < 16; j++) minSum += Int16(xb, 260 + 2 * j) * mins[j / 2];
            for (int i = 0; i < 256; i++)
            {
                int k = i / 64, l = i % 32;
                bool high = (i % 64) >= 32;
                int q = high ? qs[k * 32 + l] >> 4 : qs[k * 32 + l] & 0x0F;
                if ((qh[l] & (1 << (2 * k + (high ? 1 : 0)))) != 0) q += 16;
                isum += scales[i / 32] * q * (sbyte)xb[4 + i];
            }
            float dx = Single(xb, 0);
            sum += dx * Half(wb, 0) * isum - dx * Half(wb, 2) * minSum;
        }
        return sum;
    }

    // Q6_K block (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), scales[16] (int8, one per 16
    // values), d (f16). Value = d * scale * (q - 32).
    static float DotQ6_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int n)
    {
        float sum = 0;
        for (int b = 0; b < n / 256; b++)
        {
            var wb = w.Slice(b * 210, 210);
            var xb = x.Slice(b * 292, 292);
            var ql = wb[..128];
            var qh = wb.Slice(128, 64);
            var scales = wb.Slice(192, 16);
            int isum = 0;
            for (int i = 0; i < 256; i++)
            {
                // Half h of 128 values; quarter g (32 values) within it; lane l.
                int h = i / 128, g = (i % 128) / 32, l = i % 32;
                int low = g switch
                {
                    0 => ql[h * 64 + l] & 0x0F,
                    1 => ql[h * 64 + 32 + l] & 0x0F,
                    2 => ql[h * 64 + l] >> 4,
                    _ => ql[h * 64 + 32 + l] >> 4,
                };
                int high = (qh[h * 32 + l] >> (2 * g)) & 3;
                int q = (low | (high << 4)) - 32;
                isum += (sbyte)scales[i / 16] * q * (sbyte)xb[4 + i];
            }
            sum += Single(xb, 0) * Half(wb, 208) * isum;
        }
        return sum;
    }
}
