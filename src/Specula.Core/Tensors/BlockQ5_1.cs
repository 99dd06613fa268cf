using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q5_1: 32 weights as 5-bit integers with a scale and an offset, 24 bytes (6 bits per weight).
/// weight = D * q + M, q in 0..31.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_1
{
    public const int Elements = 32;
    public const int Bytes = 24;

    /// <summary>Scale (FP16): (max - min) / 31.</summary>
    public Half D;
    /// <summary>Offset (FP16): the block minimum.</summary>
    public Half M;
    /// <summary>Fifth bits, little-endian uint32: bit j is the high bit of weight j.</summary>
    public Bytes4 Qh;
    /// <summary>Low 4 bits: byte j holds weight j (low nibble) and weight j + 16 (high nibble).</summary>
    public Bytes16 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_1>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ5_1 block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            float m = Fp16.ToFloat(block.M);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block.Qh);
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements / 2; j++)
            {
                int high0 = (int)((qh >> j) << 4) & 0x10;
                int high1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = ((qs[j] & 0x0F) | high0) * d + m;
                y[j + Elements / 2] = ((qs[j] >> 4) | high1) * d + m;
            }
        }
    }

    /// <summary>ggml's quantize_row_q5_1_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_1>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ5_1 block = ref blocks[b];

            float min = float.MaxValue, max = -float.MaxValue;
            for (int j = 0; j < Elements; j++)
            {
                if (x[j] < min) min = x[j];
                if (x[j] > max) max = x[j];
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            block.D = Fp16.FromFloat(d);
            block.M = Fp16.FromFloat(min);

            uint qh = 0;
            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements / 2; j++)
            {
                // ggml converts straight to uint8 here (no clamp): the range is 0..31 by construction.
                byte q0 = (byte)QuantMath.TruncateToInt32((x[j] - min) * id + 0.5f);
                byte q1 = (byte)QuantMath.TruncateToInt32((x[j + Elements / 2] - min) * id + 0.5f);
                qs[j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + Elements / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block.Qh, qh);
        }
    }
}
