using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q4_0: 32 weights as 4-bit integers with one shared scale, 18 bytes (4.5 bits per weight).
/// weight = D * (q - 8), q in 0..15. The scale is chosen so the largest-magnitude weight maps to -8
/// exactly (the one level that has no positive twin), which keeps the sign of the outlier exact.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_0
{
    public const int Elements = 32;
    public const int Bytes = 18;

    /// <summary>Scale (FP16).</summary>
    public Half D;
    /// <summary>Byte j holds weight j in its low nibble and weight j + 16 in its high nibble, so a SIMD
    /// kernel gets two contiguous runs of 16 weights from one 16-byte load.</summary>
    public Bytes16 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_0>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ4_0 block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements / 2; j++)
            {
                y[j] = ((qs[j] & 0x0F) - 8) * d;
                y[j + Elements / 2] = ((qs[j] >> 4) - 8) * d;
            }
        }
    }

    /// <summary>ggml's quantize_row_q4_0_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_0>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ4_0 block = ref blocks[b];

            // The signed value of largest magnitude (first one wins ties).
            float amax = 0, max = 0;
            for (int j = 0; j < Elements; j++)
            {
                if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            block.D = Fp16.FromFloat(d);

            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements / 2; j++)
            {
                // +8.5 then truncation rounds half up into 0..16; 16 (reached only by minus the outlier) clamps to 15.
                int q0 = Math.Min(15, (int)(sbyte)QuantMath.TruncateToInt32(x[j] * id + 8.5f));
                int q1 = Math.Min(15, (int)(sbyte)QuantMath.TruncateToInt32(x[j + Elements / 2] * id + 8.5f));
                qs[j] = (byte)((byte)q0 | ((byte)q1 << 4));
            }
        }
    }
}
