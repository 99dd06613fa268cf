using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q3_K: 256 weights in 16 groups of 16, 110 bytes (3.4375 bits per weight).
/// weight = D * (scale_g - 32) * (q - 4), q in 0..7, with a signed 6-bit scale per group.
/// Symmetric (no minimum): the third bit is what buys the sign.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ3_K
{
    public const int Elements = 256;
    public const int Bytes = 110;

    /// <summary>High (third) bit of each quant: weight j's bit is bit j/32 of byte j%32, so one mask
    /// serves 32 consecutive weights.</summary>
    public Bytes32 Hmask;
    /// <summary>Low 2 bits, laid out like Q2_K: per 128-weight half, byte l holds weights l, l+32, l+64,
    /// l+96 in bits 0-1, 2-3, 4-5, 6-7.</summary>
    public Bytes64 Qs;
    /// <summary>Sixteen 6-bit scales (stored +32): low nibbles of groups 0-7 in bytes 0-7 (low half) and of
    /// groups 8-15 in bytes 0-7 (high half); the top 2 bits of group g in byte 8 + g%4 at bit 2*(g/4).</summary>
    public Bytes12 Scales;
    /// <summary>Super-block scale (FP16).</summary>
    public Half D;

    /// <summary>The 6-bit scale of group <paramref name="g"/> (0..15), minus its +32 bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int GroupScale(ReadOnlySpan<byte> scales, int g)
    {
        int low = g < 8 ? scales[g] & 0xF : scales[g - 8] >> 4;
        int high = (scales[8 + g % 4] >> (2 * (g / 4))) & 3;
        return (low | (high << 4)) - 32;
    }

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ3_K>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ3_K block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            ReadOnlySpan<byte> scales = block.Scales;
            ReadOnlySpan<byte> qs = block.Qs;
            ReadOnlySpan<byte> hmask = block.Hmask;
            Span<float> y = dst.Slice(b * Elements, Elements);
            int group = 0, o = 0;
            int bit = 1;
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> q = qs.Slice(half * 32, 32);
                for (int shift = 0; shift < 8; shift += 2, bit <<= 1)
                {
                    for (int part = 0; part < 2; part++)
                    {
                        float dl = d * GroupScale(scales, group++);
                        for (int l = 0; l < 16; l++)
                        {
                            int i = part * 16 + l;
                            // A clear high bit means the quant is 4 lower (q in -4..3).
                            y[o++] = dl * (((q[i] >> shift) & 3) - ((hmask[i] & bit) != 0 ? 0 : 4));
                        }
                    }
                }
            }
        }
    }

    /// <summary>ggml's quantize_row_q3_K_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ3_K>(dst);
        Span<sbyte> L = stackalloc sbyte[Elements];
        Span<float> groupScales = stackalloc float[Elements / 16];

        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ3_K block = ref blocks[b];
            Span<byte> scales = block.Scales;

            float maxScale = 0, amax = 0;
            for (int g = 0; g < Elements / 16; g++)
            {
                groupScales[g] = KQuantSearch.MakeQ3Quants(x.Slice(16 * g, 16), 4, L.Slice(16 * g, 16));
                float scale = MathF.Abs(groupScales[g]);
                if (scale > amax) { amax = scale; maxScale = groupScales[g]; }
            }

            scales.Clear();
            if (maxScale != 0)
            {
                float iscale = -32f / maxScale;
                for (int g = 0; g < Elements / 16; g++)
                {
                    int l = (sbyte)QuantMath.NearestInt(iscale * groupScales[g]);
                    l = Math.Max(-32, Math.Min(31, l)) + 32;
                    if (g < 8) scales[g] = (byte)(l & 0xF);
                    else scales[g - 8] |= (byte)((l & 0xF) << 4);
                    l >>= 4;
                    scales[g % 4 + 8] |= (byte)(l << (2 * (g / 4)));
                }
                block.D = Fp16.FromFloat(1 / iscale);
            }
            else
            {
                block.D = Fp16.FromFloat(0f);
            }

            // Requantize against the scales as stored.
            for (int g = 0; g < Elements / 16; g++)
            {
                float d = Fp16.ToFloat(block.D) * GroupScale(scales, g);
                if (d == 0) continue;
                for (int i = 0; i < 16; i++)
                {
                    int l = QuantMath.NearestInt(x[16 * g + i] / d);
                    L[16 * g + i] = (sbyte)(Math.Max(-4, Math.Min(3, l)) + 4);
                }
            }

            Span<byte> hmask = block.Hmask;
            hmask.Clear();
            int m = 0;
            byte hm = 1;
            for (int j = 0; j < Elements; j++)
            {
                if (L[j] > 3)
                {
                    hmask[m] |= hm;
                    L[j] -= 4;
                }
                if (++m == Elements / 8) { m = 0; hm <<= 1; }
            }

            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements; j += 128)
                for (int l = 0; l < 32; l++)
                    qs[j / 4 + l] = (byte)((byte)L[j + l] | ((byte)L[j + l + 32] << 2) | ((byte)L[j + l + 64] << 4) | ((byte)L[j + l + 96] << 6));
        }
    }
}
