using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>Unpacks one weight row (ggml block layout) into <see cref="DecodedRows"/> (every supported type but
/// Q4_0, Q8_0, Q4_K, Q5_K and Q6_K, which <see cref="RowTiles"/> holds in their own layout).</summary>
internal static unsafe class WeightDecoder
{
    public static void Decode(GgmlType type, byte* row, int columns, DecodedRows into, int slot)
    {
        switch (type)
        {
            case GgmlType.F16: DecodeF16(row, columns, into.Floats(slot)); break;
            case GgmlType.BF16: DecodeBF16(row, columns, into.Floats(slot)); break;
            case GgmlType.Q4_1: DecodeQ4(row, columns, into, slot, blockBytes: 20, withMin: true); break;
            case GgmlType.Q5_0: DecodeQ5(row, columns, into, slot, blockBytes: 22, withMin: false); break;
            case GgmlType.Q5_1: DecodeQ5(row, columns, into, slot, blockBytes: 24, withMin: true); break;
            case GgmlType.Q2_K: DecodeQ2_K(row, columns, into, slot); break;
            case GgmlType.Q3_K: DecodeQ3_K(row, columns, into, slot); break;
            default: throw new NotSupportedException($"no decoder for {type}");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float HalfAt(byte* p) => HalfToSingle(Unsafe.ReadUnaligned<ushort>(p));

    /// <summary>f16 → f32: normal numbers by moving the fields into place (exact), the rare zero, subnormal,
    /// infinity and NaN through the library conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HalfToSingle(ushort h)
    {
        uint exponent = h & 0x7C00u;
        if (exponent == 0 || exponent == 0x7C00u) return (float)BitConverter.UInt16BitsToHalf(h);
        uint bits = ((uint)(h & 0x8000) << 16) | (((uint)(h & 0x7FFF) << 13) + 0x38000000u);
        return BitConverter.UInt32BitsToSingle(bits);
    }

    /// <summary>f16 → f32 for 8 values (exact for normals, subnormals, inf, NaN; see <see cref="HalfConversion"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> HalfToSingle(Vector128<ushort> h)
    {
        var (low, high) = Vector128.Widen(h.AsInt16());
        return HalfConversion.ToSingle(Vector256.Create(low, high));
    }

    static void DecodeF16(byte* row, int n, float* y)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8) HalfToSingle(Vector128.Load((ushort*)row + i)).Store(y + i);
        for (; i < n; i++) y[i] = HalfAt(row + 2 * i);
        for (; i < ((n + 15) & ~15); i++) y[i] = 0;
    }

    static void DecodeBF16(byte* row, int n, float* y)
    {
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var (lo, hi) = Vector128.Widen(Vector128.Load((ushort*)row + i));
            (Vector256.Create(lo, hi).AsUInt32() << 16).AsSingle().Store(y + i);
        }
        for (; i < n; i++) y[i] = BitConverter.Int32BitsToSingle(((ushort*)row)[i] << 16);
        for (; i < ((n + 15) & ~15); i++) y[i] = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void WriteBlockScale(float* scaleLanes, int block, float scale) =>
        Vector256.Create(scale).Store(scaleLanes + (block >> 1) * 16 + (block & 1) * 8);

    static void WriteBlockScale(DecodedRows into, int slot, int block, float scale) =>
        WriteBlockScale(into.ScaleLanes(slot), block, scale);

    static void ClearTail(DecodedRows into, int slot, int blocks)
    {
        if ((blocks & 1) == 0) return;
        Vector256<byte>.Zero.Store(into.Values(slot) + blocks * 32);
        WriteBlockScale(into, slot, blocks, 0f);
        if (into.Blocks > blocks) into.Mins(slot)[blocks] = 0;
    }

    static void DecodeQ4(byte* row, int n, DecodedRows into, int slot, int blockBytes, bool withMin)
    {
        byte* q = into.Values(slot);
        float* mins = into.Mins(slot);
        int blocks = n / 32;
        int qsOffset = withMin ? 4 : 2;
        float* scaleLanes = into.ScaleLanes(slot);
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = row + b * blockBytes;
            var packed = Vector128.Load(block + qsOffset);
            (packed & low).Store(q + b * 32);
            (Vector128.ShiftRightLogical(packed, 4) & low).Store(q + b * 32 + 16);
            WriteBlockScale(scaleLanes, b, HalfAt(block));
            if (withMin) mins[b] = HalfAt(block + 2);
        }
        ClearTail(into, slot, blocks);
    }

    static void DecodeQ5(byte* row, int n, DecodedRows into, int slot, int blockBytes, bool withMin)
    {
        byte* q = into.Values(slot);
        float* mins = into.Mins(slot);
        int blocks = n / 32;
        int qhOffset = withMin ? 4 : 2;
        float* scaleLanes = into.ScaleLanes(slot);
        var low = Vector128.Create((byte)0x0F);
        for (int b = 0; b < blocks; b++)
        {
            byte* block = row + b * blockBytes;
            uint qh = Unsafe.ReadUnaligned<uint>(block + qhOffset);
            var packed = Vector128.Load(block + qhOffset + 4);
            var lo = packed & low;
            var hi = Vector128.ShiftRightLogical(packed, 4) & low;
            lo |= HighBits16(qh) ;
            hi |= HighBits16(qh >> 16);
            lo.Store(q + b * 32);
            hi.Store(q + b * 32 + 16);
            WriteBlockScale(scaleLanes, b, HalfAt(block));
            if (withMin) mins[b] = HalfAt(block + 2);
        }
        ClearTail(into, slot, blocks);
    }

    /// <summary>Spreads 16 bits into 16 bytes of value 16 (bit set) or 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<byte> HighBits16(uint bits)
    {
        var spread = Vector128.Create((ushort)bits).AsByte();
        var selected = Vector128.Shuffle(spread, Vector128.Create((byte)0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        var mask = Vector128.Create((byte)1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
        return Vector128.Equals(selected & mask, mask) & Vector128.Create((byte)16);
    }

    /// <summary>Fills the int16 pair lanes of the K-quant chunks of one 256-value block from its 16 group
    /// scales: lane i of chunk c covers values 64c+2i and 64c+2i+1, which belong to group (64c+2i)/16.</summary>
    static void WriteKScaleLanes(DecodedRows into, int slot, int block, short* groupScales)
    {
        short* lanes = into.KScaleLanes(slot) + block * 4 * 32;
        for (int g = 0; g < 16; g++) Vector128.Create(groupScales[g]).Store(lanes + g * 8);
    }

    static void DecodeQ2_K(byte* row, int n, DecodedRows into, int slot)
    {
        byte* q = into.Values(slot);
        var three = Vector256.Create((byte)3);
        for (int b = 0; b < n / 256; b++)
        {
            byte* block = row + b * 84;
            short* scales = into.GroupScales(slot) + b * 16;
            short* mins = into.GroupMins(slot) + b * 16;
            for (int g = 0; g < 16; g++)
            {
                scales[g] = (short)(block[g] & 0x0F);
                mins[g] = (short)(block[g] >> 4);
            }
            WriteKScaleLanes(into, slot, b, scales);
            for (int h = 0; h < 2; h++)
            {
                var packed = Vector256.Load(block + 16 + h * 32);
                for (int plane = 0; plane < 4; plane++)
                    (Vector256.ShiftRightLogical(packed, 2 * plane) & three).Store(q + b * 256 + h * 128 + plane * 32);
            }
            into.SuperScales(slot)[2 * b] = HalfAt(block + 80);
            into.SuperScales(slot)[2 * b + 1] = HalfAt(block + 82);
        }
    }

    static void DecodeQ3_K(byte* row, int n, DecodedRows into, int slot)
    {
        byte* q = into.Values(slot);
        Span<int> unpacked = stackalloc int[16];
        var three = Vector256.Create((byte)3);
        var four = Vector256.Create((byte)4);
        for (int b = 0; b < n / 256; b++)
        {
            byte* block = row + b * 110;
            short* scales = into.GroupScales(slot) + b * 16;
            KQuantScales.UnpackQ3K(new ReadOnlySpan<byte>(block + 96, 12), unpacked);
            for (int g = 0; g < 16; g++) scales[g] = (short)(unpacked[g] - 32);
            new Span<short>(into.GroupMins(slot) + b * 16, 16).Clear();
            WriteKScaleLanes(into, slot, b, scales);
            var hmask = Vector256.Load(block);
            for (int h = 0; h < 2; h++)
            {
                var packed = Vector256.Load(block + 32 + h * 32);
                for (int plane = 0; plane < 4; plane++)
                {
                    var bit = Vector256.Create((byte)(1 << (h * 4 + plane)));
                    // Stored as q + 4 when the high bit is set, q otherwise; the kernel subtracts 4.
                    var high = Vector256.Equals(hmask & bit, bit) & four;
                    ((Vector256.ShiftRightLogical(packed, 2 * plane) & three) | high).Store(q + b * 256 + h * 128 + plane * 32);
                }
            }
            into.SuperScales(slot)[2 * b] = HalfAt(block + 108);
            into.SuperScales(slot)[2 * b + 1] = 0;
        }
    }
}
