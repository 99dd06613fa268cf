using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q2_K: 256 weights in 16 groups of 16, 84 bytes (2.625 bits per weight).
/// weight = D * scale_g * q - Dmin * min_g, q in 0..3, with 4-bit per-group scale and minimum that are
/// themselves quantized against the two FP16 super-block values.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ2_K
{
    public const int Elements = 256;
    public const int Bytes = 84;

    /// <summary>Per group g: scale in the low nibble, minimum in the high nibble.</summary>
    public Bytes16 Scales;
    /// <summary>2-bit quants. Each 128-weight half uses 32 bytes: byte l holds weights l, l+32, l+64,
    /// l+96 of that half in bits 0-1, 2-3, 4-5, 6-7 (so one shift serves 32 consecutive weights).</summary>
    public Bytes64 Qs;
    /// <summary>Super-block scale for the group scales (FP16).</summary>
    public Half D;
    /// <summary>Super-block scale for the group minimums (FP16).</summary>
    public Half Dmin;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ2_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ2_K block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            float dmin = Fp16.ToFloat(block.Dmin);
            ReadOnlySpan<byte> scales = block.Scales;
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            int group = 0, o = 0;
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> q = qs.Slice(half * 32, 32);
                for (int shift = 0; shift < 8; shift += 2)
                {
                    // Two groups of 16 per shift: bytes 0-15 then bytes 16-31.
                    for (int part = 0; part < 2; part++)
                    {
                        byte sc = scales[group++];
                        float dl = d * (sc & 0xF);
                        float ml = dmin * (sc >> 4);
                        for (int l = 0; l < 16; l++)
                            y[o++] = dl * ((q[part * 16 + l] >> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    /// <summary>ggml's quantize_row_q2_K_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ2_K>(dst);
        Span<byte> L = stackalloc byte[Elements];
        Span<byte> Laux = stackalloc byte[16];
        Span<float> weights = stackalloc float[16];
        Span<float> mins = stackalloc float[Elements / 16];
        Span<float> groupScales = stackalloc float[Elements / 16];
        const float q4scale = 15f;

        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ2_K block = ref blocks[b];
            Span<byte> scales = block.Scales;

            float maxScale = 0, maxMin = 0;
            for (int g = 0; g < Elements / 16; g++)
            {
                ReadOnlySpan<float> xg = x.Slice(16 * g, 16);
                for (int l = 0; l < 16; l++) weights[l] = MathF.Abs(xg[l]);
                groupScales[g] = KQuantSearch.MakeQkx2Quants(xg, 3, weights, L.Slice(16 * g, 16), out mins[g], Laux, -0.5f, 0.1f, 15, true);
                if (groupScales[g] > maxScale) maxScale = groupScales[g];
                if (mins[g] > maxMin) maxMin = mins[g];
            }

            if (maxScale > 0)
            {
                float iscale = q4scale / maxScale;
                for (int g = 0; g < Elements / 16; g++) scales[g] = (byte)QuantMath.NearestInt(iscale * groupScales[g]);
                block.D = Fp16.FromFloat(maxScale / q4scale);
            }
            else
            {
                scales.Clear();
                block.D = Fp16.FromFloat(0f);
            }
            if (maxMin > 0)
            {
                float iscale = q4scale / maxMin;
                for (int g = 0; g < Elements / 16; g++) scales[g] |= (byte)(QuantMath.NearestInt(iscale * mins[g]) << 4);
                block.Dmin = Fp16.FromFloat(maxMin / q4scale);
            }
            else
            {
                block.Dmin = Fp16.FromFloat(0f);
            }

            // Requantize against the scales as stored (rounded to 4 bits and FP16).
            for (int g = 0; g < Elements / 16; g++)
            {
                float d = Fp16.ToFloat(block.D) * (scales[g] & 0xF);
                if (d == 0) continue;
                float dm = Fp16.ToFloat(block.Dmin) * (scales[g] >> 4);
                for (int i = 0; i < 16; i++)
                {
                    int l = QuantMath.NearestInt((x[16 * g + i] + dm) / d);
                    L[16 * g + i] = (byte)Math.Max(0, Math.Min(3, l));
                }
            }

            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements; j += 128)
                for (int l = 0; l < 32; l++)
                    qs[j / 4 + l] = (byte)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
        }
    }
}
