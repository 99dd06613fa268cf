using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q5_K: 256 weights in 8 groups of 32, 176 bytes (5.5 bits per weight).
/// weight = D * scale_g * q - Dmin * min_g, q in 0..31: Q4_K plus a fifth bit per weight.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_K
{
    public const int Elements = 256;
    public const int Bytes = 176;

    /// <summary>Super-block scale for the group scales (FP16).</summary>
    public Half D;
    /// <summary>Super-block scale for the group minimums (FP16).</summary>
    public Half Dmin;
    /// <summary>Packed 6-bit scales and minimums, see <see cref="ScaleMinK4"/>.</summary>
    public Bytes12 Scales;
    /// <summary>Fifth bits: weight 64*c + l (l &lt; 32) uses bit 2c of byte l, weight 64*c + 32 + l bit 2c+1.</summary>
    public Bytes32 Qh;
    /// <summary>Low 4 bits, laid out like Q4_K.</summary>
    public Bytes128 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ5_K block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            float dmin = Fp16.ToFloat(block.Dmin);
            ReadOnlySpan<byte> scales = block.Scales;
            ReadOnlySpan<byte> qh = block.Qh;
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                ReadOnlySpan<byte> ql = qs.Slice(chunk * 32, 32);
                int lowBit = 1 << (2 * chunk), highBit = 2 << (2 * chunk);
                ScaleMinK4.Get(2 * chunk, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = dmin * m;
                ScaleMinK4.Get(2 * chunk + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = dmin * m;
                Span<float> yc = y.Slice(chunk * 64, 64);
                for (int l = 0; l < 32; l++) yc[l] = d1 * ((ql[l] & 0xF) + ((qh[l] & lowBit) != 0 ? 16 : 0)) - m1;
                for (int l = 0; l < 32; l++) yc[32 + l] = d2 * ((ql[l] >> 4) + ((qh[l] & highBit) != 0 ? 16 : 0)) - m2;
            }
        }
    }

    /// <summary>ggml's quantize_row_q5_K_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_K>(dst);
        Span<byte> L = stackalloc byte[Elements];
        Span<byte> Laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[Elements / 32];
        Span<float> groupScales = stackalloc float[Elements / 32];

        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ5_K block = ref blocks[b];
            Span<byte> scales = block.Scales;

            float maxScale = 0, maxMin = 0;
            for (int g = 0; g < Elements / 32; g++)
            {
                ReadOnlySpan<float> xg = x.Slice(32 * g, 32);
                float sumX2 = 0;
                for (int l = 0; l < 32; l++) sumX2 += xg[l] * xg[l];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xg[l]);
                groupScales[g] = KQuantSearch.MakeQkx2Quants(xg, 31, weights, L.Slice(32 * g, 32), out mins[g], Laux, -0.5f, 0.1f, 15, false);
                if (groupScales[g] > maxScale) maxScale = groupScales[g];
                if (mins[g] > maxMin) maxMin = mins[g];
            }

            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int g = 0; g < Elements / 32; g++)
            {
                byte ls = Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * groupScales[g]));
                byte lm = Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[g]));
                ScaleMinK4.Set(g, scales, ls, lm);
            }
            block.D = Fp16.FromFloat(maxScale / 63f);
            block.Dmin = Fp16.FromFloat(maxMin / 63f);

            for (int g = 0; g < Elements / 32; g++)
            {
                ScaleMinK4.Get(g, scales, out byte sc, out byte m);
                float d = Fp16.ToFloat(block.D) * sc;
                if (d == 0) continue;
                float dm = Fp16.ToFloat(block.Dmin) * m;
                for (int i = 0; i < 32; i++)
                {
                    int l = QuantMath.NearestInt((x[32 * g + i] + dm) / d);
                    L[32 * g + i] = (byte)Math.Max(0, Math.Min(31, l));
                }
            }

            Span<byte> qh = block.Qh;
            Span<byte> qs = block.Qs;
            qh.Clear();
            for (int chunk = 0; chunk < 4; chunk++)
            {
                byte lowBit = (byte)(1 << (2 * chunk)), highBit = (byte)(2 << (2 * chunk));
                for (int j = 0; j < 32; j++)
                {
                    int l1 = L[chunk * 64 + j];
                    if (l1 > 15) { l1 -= 16; qh[j] |= lowBit; }
                    int l2 = L[chunk * 64 + j + 32];
                    if (l2 > 15) { l2 -= 16; qh[j] |= highBit; }
                    qs[chunk * 32 + j] = (byte)(l1 | (l2 << 4));
                }
            }
        }
    }
}
