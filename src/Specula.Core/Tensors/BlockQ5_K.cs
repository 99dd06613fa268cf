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

        for (int b = 0; b < blocks.Length; b++)
        {
            ref BlockQ5_K block = ref blocks[b];
            ScaleMinK4.QuantizeSuperBlock(src.Slice(b * Elements, Elements), 31, -0.5f, 15, block.Scales, out block.D, out block.Dmin, L);

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
