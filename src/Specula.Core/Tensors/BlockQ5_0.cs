using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Q5_0: 32 weights as 5-bit integers with one shared scale, 22 bytes (5.5 bits per weight).
/// weight = D * (q - 16), q in 0..31; the largest-magnitude weight maps to -16.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BlockQ5_0
{
    public const int Elements = 32;
    public const int Bytes = 22;

    /// <summary>Scale (FP16).</summary>
    public Half D;
    /// <summary>Fifth bits, as a little-endian uint32: bit j is the high bit of weight j. Kept apart from
    /// the nibbles so the low 4 bits unpack exactly like Q4_0.</summary>
    public Bytes4 Qh;
    /// <summary>Low 4 bits: byte j holds weight j (low nibble) and weight j + 16 (high nibble).</summary>
    public Bytes16 Qs;

    public static void DequantizeRow(ReadOnlySpan<byte> src, Span<float> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_0>(src);
        for (int b = 0; b < blocks.Length; b++)
        {
            ref readonly BlockQ5_0 block = ref blocks[b];
            float d = Fp16.ToFloat(block.D);
            uint qh = BinaryPrimitives.ReadUInt32LittleEndian(block.Qh);
            ReadOnlySpan<byte> qs = block.Qs;
            Span<float> y = dst.Slice(b * Elements, Elements);
            for (int j = 0; j < Elements / 2; j++)
            {
                int high0 = (int)((qh >> j) << 4) & 0x10;
                int high1 = (int)(qh >> (j + 12)) & 0x10;
                y[j] = (((qs[j] & 0x0F) | high0) - 16) * d;
                y[j + Elements / 2] = (((qs[j] >> 4) | high1) - 16) * d;
            }
        }
    }

    /// <summary>ggml's quantize_row_q5_0_ref.</summary>
    public static void QuantizeRow(ReadOnlySpan<float> src, Span<byte> dst)
    {
        var blocks = MemoryMarshal.Cast<byte, BlockQ5_0>(dst);
        for (int b = 0; b < blocks.Length; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Elements, Elements);
            ref BlockQ5_0 block = ref blocks[b];

            float amax = 0, max = 0;
            for (int j = 0; j < Elements; j++)
            {
                if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
            }
            float d = max / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            block.D = Fp16.FromFloat(d);

            uint qh = 0;
            Span<byte> qs = block.Qs;
            for (int j = 0; j < Elements / 2; j++)
            {
                byte q0 = (byte)Math.Min(31, (int)(sbyte)QuantMath.TruncateToInt32(x[j] * id + 16.5f));
                byte q1 = (byte)Math.Min(31, (int)(sbyte)QuantMath.TruncateToInt32(x[j + Elements / 2] * id + 16.5f));
                qs[j] = (byte)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= (uint)((q0 & 0x10) >> 4) << j;
                qh |= (uint)((q1 & 0x10) >> 4) << (j + Elements / 2);
            }
            BinaryPrimitives.WriteUInt32LittleEndian(block.Qh, qh);
        }
    }
}
