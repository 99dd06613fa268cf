using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// Converts one activation row into <see cref="QuantizedActivations"/>, producing exactly what ggml's x86
/// quantizers produce: Q8_0/Q8_1 take d = amax/127 and round x·(127/amax) half to even; Q8_K takes the
/// signed value of largest magnitude (first one wins), scale −127/max, rounds half to even and clamps at
/// 127; F16 and BF16 round to nearest even. Vectorised; the result does not depend on the vector width.
/// </summary>
public static unsafe class ActivationQuantizer
{
    public static void QuantizeRow(ReadOnlySpan<float> x, QuantizedActivations destination, int token)
    {
        if (x.Length < destination.Columns)
            throw new ArgumentException($"activation row has {x.Length} values, expected {destination.Columns}");
        if ((uint)token >= (uint)destination.Tokens) throw new ArgumentOutOfRangeException(nameof(token));
        fixed (float* source = x)
        {
            switch (destination.Type)
            {
                case GgmlType.F32: CopyRounded(source, destination, token, RoundMode.None); break;
                case GgmlType.F16: CopyRounded(source, destination, token, RoundMode.Half); break;
                case GgmlType.BF16: CopyRounded(source, destination, token, RoundMode.BFloat16); break;
                case GgmlType.Q8_0: QuantizeQ8(source, destination, token, withSums: false); break;
                case GgmlType.Q8_1: QuantizeQ8(source, destination, token, withSums: true); break;
                case GgmlType.Q8_K: QuantizeQ8K(source, destination, token); break;
                default: throw new NotSupportedException($"cannot quantize activations to {destination.Type}");
            }
        }
    }

    enum RoundMode { None, Half, BFloat16 }

    static void CopyRounded(float* x, QuantizedActivations dst, int token, RoundMode mode)
    {
        float* y = dst.FloatRow(token);
        int n = dst.Columns;
        int i = 0;
        if (mode == RoundMode.Half)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                if (Vector256.EqualsAll(v, v)) RoundToHalf(v).Store(y + i);
                else for (int j = 0; j < 8; j++) y[i + j] = (float)(Half)x[i + j]; // a NaN: the library keeps it a NaN
            }
            for (; i < n; i++) y[i] = (float)(Half)x[i];
        }
        else if (mode == RoundMode.BFloat16)
        {
            for (; i + 8 <= n; i += 8)
            {
                var v = Vector256.Load(x + i);
                if (Vector256.EqualsAll(v, v))
                {
                    var bits = v.AsUInt32();
                    ((bits + Vector256.Create(0x7fffu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF0000u)).AsSingle().Store(y + i);
                }
                else for (int j = 0; j < 8; j++) y[i + j] = RoundToBFloat16(x[i + j]);
            }
            for (; i < n; i++) y[i] = RoundToBFloat16(x[i]);
        }
        else
        {
            new ReadOnlySpan<float>(x, n).CopyTo(new Span<float>(y, n));
            i = n;
        }
        for (int j = n; j < dst.Stride; j++) y[j] = 0;
    }

    /// <summary>f32 → f16 → f32 for eight values that are not NaN, round to nearest even as the conversion does.
    /// Normal range: the mantissa rounded to 10 bits in the integer bits (an overflow past 65504 becomes an
    /// infinity). Below 2^-14 (f16 subnormals, spaced 2^-24): adding and subtracting 0.5 rounds the magnitude to a
    /// multiple of 2^-24 (the spacing of floats in [0.5, 1)), half to even.</summary>
    static Vector256<float> RoundToHalf(Vector256<float> v)
    {
        var magnitude = Vector256.Abs(v);
        var bits = v.AsUInt32();
        var normal = ((bits + Vector256.Create(0x0FFFu) + ((bits >> 13) & Vector256<uint>.One)) & Vector256.Create(~0x1FFFu)).AsSingle();
        normal = Vector256.ConditionalSelect(
            Vector256.GreaterThan(Vector256.Abs(normal), Vector256.Create(65504f)),
            Vector256.CopySign(Vector256.Create(float.PositiveInfinity), normal), normal);
        var subnormal = Vector256.CopySign((magnitude + Vector256.Create(0.5f)) - Vector256.Create(0.5f), v);
        return Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(6.103515625e-05f)), subnormal, normal);
    }

    /// <summary>ggml's fp32 → bf16: round to nearest even, NaN kept quiet.</summary>
    internal static float RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return BitConverter.UInt32BitsToSingle((bits | 0x00400000) & 0xFFFF0000);
        bits = (bits + (0x7fff + ((bits >> 16) & 1))) & 0xFFFF0000;
        return BitConverter.UInt32BitsToSingle(bits);
    }

    static void QuantizeQ8(float* x, QuantizedActivations dst, int token, bool withSums)
    {
        sbyte* q = dst.QuantRow(token);
        float* scales = dst.ScaleRow(token);
        float* sums = dst.SumRow(token);
        float* lanes = dst.ScaleLaneRow(token);
        int* intSums = dst.IntSumRow(token);
        int* nibbleOffsets = dst.NibbleOffsetRow(token);
        int blocks = dst.Columns / 32;
        for (int b = 0; b < blocks; b++)
        {
            float* xb = x + b * 32;
            var v0 = Vector256.Load(xb);
            var v1 = Vector256.Load(xb + 8);
            var v2 = Vector256.Load(xb + 16);
            var v3 = Vector256.Load(xb + 24);
            var maxAbs = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)),
                Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
            float amax = MaxAcross(maxAbs);
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            var mul = Vector256.Create(id);
            // x86 conversion (out of range and NaN give int.MinValue) and the saturating packs, as ggml: both
            // only matter when 127 / amax overflows (amax below ~3.7e-37), where every quant becomes -128.
            var i0 = Vector256.ConvertToInt32Native(Vector256.Round(v0 * mul));
            var i1 = Vector256.ConvertToInt32Native(Vector256.Round(v1 * mul));
            var i2 = Vector256.ConvertToInt32Native(Vector256.Round(v2 * mul));
            var i3 = Vector256.ConvertToInt32Native(Vector256.Round(v3 * mul));
            // Q8_1's sum is taken from the converted integers before packing (wrapping), as ggml does.
            int convertedSum = Vector256.Sum(i0 + i1 + i2 + i3);
            i0 = ClampToSByte(i0); i1 = ClampToSByte(i1); i2 = ClampToSByte(i2); i3 = ClampToSByte(i3);
            var s16a = Vector256.Narrow(i0, i1);
            var s16b = Vector256.Narrow(i2, i3);
            Vector256.Narrow(s16a, s16b).Store(q + b * 32);
            scales[b] = (float)(Half)d;
            Vector256.Create(scales[b]).Store(lanes + 8 * b);
            // The kernels' own sums describe the stored quants.
            var columnSums = i0 + i1 + i2 + i3; // lane l: values l, l+8, l+16, l+24
            intSums[b] = Vector256.Sum(columnSums);
            int evenPairs = columnSums[0] + columnSums[1] + columnSums[4] + columnSums[5];
            int oddPairs = columnSums[2] + columnSums[3] + columnSums[6] + columnSums[7];
            nibbleOffsets[b] = (ushort)(short)(-8 * evenPairs) | ((int)(ushort)(short)(-8 * oddPairs) << 16);
            if (withSums) sums[b] = (float)(Half)(d * convertedSum);
        }
        // Padding to a whole 64-value chunk contributes nothing.
        for (int b = blocks; b < dst.BlocksPerRow; b++)
        {
            Vector256<sbyte>.Zero.Store(q + b * 32);
            scales[b] = 0;
            sums[b] = 0;
            intSums[b] = 0;
            nibbleOffsets[b] = 0;
            Vector256<float>.Zero.Store(lanes + 8 * b);
        }
    }

    static void QuantizeQ8K(float* x, QuantizedActivations dst, int token)
    {
        sbyte* q = dst.QuantRow(token);
        float* scales = dst.ScaleRow(token);
        short* bsums = dst.BlockSumRow(token);
        short* subBlockSums = dst.SubBlockSumRow(token);
        int blocks = dst.Columns / 256;
        for (int b = 0; b < blocks; b++)
        {
            float* xb = x + b * 256;
            var maxAbs = Vector256<float>.Zero;
            for (int i = 0; i < 256; i += 8) maxAbs = Vector256.Max(maxAbs, Vector256.Abs(Vector256.Load(xb + i)));
            float amax = MaxAcross(maxAbs);
            if (!(amax > 0f))
            {
                scales[b] = 0;
                new Span<byte>(q + b * 256, 256).Clear();
                new Span<short>(bsums + b * 16, 16).Clear();
                new Span<short>(subBlockSums + b * 8, 8).Clear();
                continue;
            }
            // The signed value of the first element of largest magnitude, as ggml's scan picks it.
            float max = 0;
            for (int i = 0; i < 256; i++)
            {
                if (MathF.Abs(xb[i]) == amax) { max = xb[i]; break; }
            }
            float iscale = -127f / max;
            if (float.IsInfinity(iscale))
            {
                // |max| below ~3.7e-37: ggml's nearest_int turns every product (infinite or NaN) into a value
                // whose low byte is 0, so all quants and sums are 0, with scale 1 / iscale (a signed zero).
                scales[b] = 1f / iscale;
                new Span<byte>(q + b * 256, 256).Clear();
                new Span<short>(bsums + b * 16, 16).Clear();
                new Span<short>(subBlockSums + b * 8, 8).Clear();
                continue;
            }
            var mul = Vector256.Create(iscale);
            var limit = Vector256.Create(127);
            for (int g = 0; g < 16; g++)
            {
                float* xg = xb + g * 16;
                var i0 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xg) * mul)), limit);
                var i1 = Vector256.Min(Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(xg + 8) * mul)), limit);
                var s16 = Vector256.Narrow(i0, i1);
                var s8 = Vector256.Narrow(s16, s16);
                s8.GetLower().Store(q + b * 256 + g * 16);
                bsums[b * 16 + g] = (short)Vector256.Sum(i0 + i1);
            }
            for (int j = 0; j < 8; j++) subBlockSums[b * 8 + j] = (short)(bsums[b * 16 + 2 * j] + bsums[b * 16 + 2 * j + 1]);
            scales[b] = 1f / iscale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> ClampToSByte(Vector256<int> v) =>
        Vector256.Min(Vector256.Max(v, Vector256.Create((int)sbyte.MinValue)), Vector256.Create((int)sbyte.MaxValue));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float MaxAcross(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        float a = MathF.Max(m[0], m[1]), b = MathF.Max(m[2], m[3]);
        return MathF.Max(a, b);
    }
}
