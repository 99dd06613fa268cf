using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q4_1: 32 weights as 4-bit integers with a scale and an offset, 20 bytes (5 bits per weight).
/// weight = D * q + M, q in 0..15: the offset lets the 16 levels span [min, max] instead of a range
/// symmetric around zero.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ4_1
{
    public const int Elements = 32;
    public const int Bytes = 20;

    /// <summary>Scale (FP16): (max - min) / 15.</summary>
    public Half D;
    /// <summary>Offset (FP16): the block minimum.</summary>
    public Half M;
    /// <summary>Byte j: weight j in the low nibble, weight j + 16 in the high nibble.</summary>
    public Bytes16 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_1>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ4_1 block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            float m = Fp16.ToFloat(block.M);
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements / 2; j++)
            {
                y[j] = (qs[j] & 0x0F) * d + m;
                y[j + Elements / 2] = (qs[j] >> 4) * d + m;
            }
        }
    }

    /// <summary>ggml's quantize_row_q4_1_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ4_1>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ4_1 block = ref blocks[b];

            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < Elements; j++)
            {
                if (x[j] < min) min = x[j];
                if (x[j] > max) max = x[j];
            }
            float d = (max - min) / 15;
            float id = d != 0 ? 1.0f / d : 0.0f;
            block.D = Fp16.FromFloat(d);
            block.M = Fp16.FromFloat(min);

            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements / 2; j++)
            {
                int q0 = Math.Min(15, (int)(sbyte)QuantMath.TruncateToInt32((x[j] - min) * id + 0.5f));
                int q1 = Math.Min(15, (int)(sbyte)QuantMath.TruncateToInt32((x[j + Elements / 2] - min) * id + 0.5f));
                qs[j] = (byte)((byte)q0 | ((byte)q1 << 4));
            }
        }
    }
}
