using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q4_K: 256 weights in 8 groups of 32, 144 bytes (4.5 bits per weight).
/// weight = D * scale_g * q - Dmin * min_g, q in 0..15, with 6-bit per-group scale and minimum
/// (see <see cref="ScaleMinK4"/>) quantized against the two FP16 super-block values.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_K
{
    public const int Elements = 256;
    public const int Bytes = 144;

    /// <summary>Super-block scale for the group scales (FP16).</summary>
    public Half D;
    /// <summary>Super-block scale for the group minimums (FP16).</summary>
    public Half Dmin;
    /// <summary>Packed 6-bit scales and minimums, see <see cref="ScaleMinK4"/>.</summary>
    public Bytes12 Scales;
    /// <summary>4-bit quants: each 64-weight chunk uses 32 bytes, weight l in the low nibble of byte l and
    /// weight l + 32 in the high nibble (two groups per 32-byte load).</summary>
    public Bytes128 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ4_K block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            float dmin = Fp16.ToFloat(block.Dmin);
            ReadOnlySpan<byte> scales = block.Scales;
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int chunk = 0; chunk < 4; chunk++)
            {
                ReadOnlySpan<byte> q = qs.Slice(chunk * 32, 32);
                ScaleMinK4.Get(2 * chunk, scales, out byte sc, out byte m);
                float d1 = d * sc, m1 = dmin * m;
                ScaleMinK4.Get(2 * chunk + 1, scales, out sc, out m);
                float d2 = d * sc, m2 = dmin * m;
                Span<float> yc = y.Slice(chunk * 64, 64);
                for (int l = 0; l < 32; l++) yc[l] = d1 * (q[l] & 0xF) - m1;
                for (int l = 0; l < 32; l++) yc[32 + l] = d2 * (q[l] >> 4) - m2;
            }
        }
    }

    /// <summary>ggml's quantize_row_q4_K_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_K>(dst);
        Span<byte> L = stackalloc byte[Elements];

        for (int b = 0; b < blocks.Length; b++)
        {
            ref BlockQ4_K block = ref blocks[b];
            ScaleMinK4.QuantizeSuperBlock(src.Slice(b * Elements, Elements), 15, -1f, 20, block.Scales, out block.D, out block.Dmin, L);

            Span<byte> qs = block.Qs;
            for (int chunk = 0; chunk < 4; chunk++)
                for (int l = 0; l < 32; l++)
                    qs[chunk * 32 + l] = (byte)(L[chunk * 64 + l] | (L[chunk * 64 + l + 32] << 4));
        }
    }
}
