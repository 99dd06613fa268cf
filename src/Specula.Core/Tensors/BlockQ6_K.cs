using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q6_K: 256 weights in 16 groups of 16, 210 bytes (6.5625 bits per weight).
/// weight = D * scale_g * (q - 32), q in 0..63, with a signed 8-bit scale per group. Symmetric.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ6_K
{
    public const int Elements = 256;
    public const int Bytes = 210;

    /// <summary>Low 4 bits. Per 128-weight half, 64 bytes: byte l (l &lt; 32) holds weight l (low nibble)
    /// and l + 64 (high nibble); byte 32 + l holds weights l + 32 and l + 96.</summary>
    public Bytes128 Ql;
    /// <summary>High 2 bits. Per half, 32 bytes: byte l holds weights l, l+32, l+64, l+96 in bits
    /// 0-1, 2-3, 4-5, 6-7.</summary>
    public Bytes64 Qh;
    /// <summary>Signed per-group scales.</summary>
    public SBytes16 Scales;
    /// <summary>Super-block scale (FP16).</summary>
    public Half D;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ6_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ6_K block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            ReadOnlySpan<byte> qlAll = block.Ql;
            ReadOnlySpan<byte> qhAll = block.Qh;
            ReadOnlySpan<sbyte> scAll = block.Scales;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> ql = qlAll.Slice(half * 64, 64);
                ReadOnlySpan<byte> qh = qhAll.Slice(half * 32, 32);
                ReadOnlySpan<sbyte> sc = scAll.Slice(half * 8, 8);
                Span<float> yh = y.Slice(half * 128, 128);
                for (int l = 0; l < 32; l++)
                {
                    int g = l / 16;
                    int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    yh[l] = d * sc[g] * q1;
                    yh[l + 32] = d * sc[g + 2] * q2;
                    yh[l + 64] = d * sc[g + 4] * q3;
                    yh[l + 96] = d * sc[g + 6] * q4;
                }
            }
        }
    }

    /// <summary>ggml's quantize_row_q6_K_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ6_K>(dst);
        Span<sbyte> L = stackalloc sbyte[Elements];
        Span<float> groupScales = stackalloc float[Elements / 16];

        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ6_K block = ref blocks[b];

            float maxScale = 0, maxAbsScale = 0;
            for (int g = 0; g < Elements / 16; g++)
            {
                float scale = KQuantSearch.MakeQxQuants(x.Slice(16 * g, 16), 32, L.Slice(16 * g, 16));
                groupScales[g] = scale;
                if (MathF.Abs(scale) > maxAbsScale) { maxAbsScale = MathF.Abs(scale); maxScale = scale; }
            }

            if (maxAbsScale < QuantMath.GroupMaxEps)
            {
                block = default;
                continue;
            }

            float iscale = -128f / maxScale;
            block.D = Fp16.FromFloat(1 / iscale);
            Span<sbyte> scales = block.Scales;
            for (int g = 0; g < Elements / 16; g++)
                scales[g] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * groupScales[g]));

            // Requantize against the scales as stored.
            for (int g = 0; g < Elements / 16; g++)
            {
                float d = Fp16.ToFloat(block.D) * scales[g];
                if (d == 0) continue;
                for (int i = 0; i < 16; i++)
                {
                    int l = QuantMath.NearestInt(x[16 * g + i] / d);
                    L[16 * g + i] = (sbyte)(Math.Max(-32, Math.Min(31, l)) + 32);
                }
            }

            Span<byte> qlAll = block.Ql;
            Span<byte> qhAll = block.Qh;
            for (int half = 0; half < 2; half++)
            {
                Span<byte> ql = qlAll.Slice(half * 64, 64);
                Span<byte> qh = qhAll.Slice(half * 32, 32);
                int j = half * 128;
                for (int l = 0; l < 32; l++)
                {
                    int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
                    ql[l] = (byte)((q1 & 0xF) | ((q3 & 0xF) << 4));
                    ql[l + 32] = (byte)((q2 & 0xF) | ((q4 & 0xF) << 4));
                    qh[l] = (byte)((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
                }
            }
        }
    }
}
