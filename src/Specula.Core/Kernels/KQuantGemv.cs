using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// One k-quant super-block (256 values) read straight from the weight row into registers, producing the
/// same exact integers <see cref="KQuantKernels"/> computes from the decoded scratch form: the sixteen int32
/// lanes Σ scale·q·x (lane i: values 4i..4i+3 of each 64-value chunk, the four chunks added, the offset
/// correction already subtracted from lanes 0-7) and, for the types with a minimum, the eight lanes
/// Σ min·bsum over pairs of 16-value groups.
/// </summary>
internal unsafe interface IKQuantBlock
{
    static abstract int BlockBytes { get; }
    static abstract bool HasMin { get; }
    static abstract Vector512<int> Lanes(byte* block, sbyte* x, short* bsums);
    static abstract float Scale(byte* block);
    static abstract Vector256<int> MinPairs(byte* block, short* bsums);
    static abstract float MinScale(byte* block);
}

/// <summary>Shared pieces of the in-register k-quant decoders.</summary>
internal static unsafe class KQuantRegisters
{
    /// <summary>For each 64-value chunk c: the int16 pair lanes 0-15 take 32-value sub-block scale 2c,
    /// lanes 16-31 take 2c+1 (Q5_K: eight scales).</summary>
    static readonly Vector512<short>[] SubBlockIndex = BuildIndex(pairsPerScale: 16);


    static Vector512<short>[] BuildIndex(int pairsPerScale)
    {
        var result = new Vector512<short>[4];
        var lanes = new short[32];
        for (int c = 0; c < 4; c++)
        {
            for (int i = 0; i < 32; i++) lanes[i] = (short)(c * 32 / pairsPerScale + i / pairsPerScale);
            result[c] = Vector512.Create(lanes);
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> SubBlockWeights(Vector512<short> scales, int chunk) =>
        Avx512BW.PermuteVar32x16(scales, SubBlockIndex[chunk]);


    /// <summary>Bytes [packed & 15 | packed >> 4] of a 32-byte nibble run: values 0-31 then 32-63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Nibbles(byte* packed)
    {
        var v = Vector256.Load(packed);
        var both = Avx512F.InsertVector256(v.ToVector512Unsafe(), Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), 1);
        return both & Vector512.Create((byte)0x0F);
    }

    /// <summary>Q5_K: the eight 6-bit sub-block scales (low 64 bits) or mins, from the 12 packed bytes
    /// (layout in <see cref="KQuantScales.UnpackScaleMin"/>), each byte one value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Scales6(byte* packed)
    {
        uint u0 = Unsafe.ReadUnaligned<uint>(packed), u2 = Unsafe.ReadUnaligned<uint>(packed + 8);
        uint low = u0 & 0x3F3F3F3Fu;
        uint high = (u2 & 0x0F0F0F0Fu) | ((u0 >> 2) & 0x30303030u);
        return low | ((ulong)high << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mins6(byte* packed)
    {
        uint u1 = Unsafe.ReadUnaligned<uint>(packed + 4), u2 = Unsafe.ReadUnaligned<uint>(packed + 8);
        uint low = u1 & 0x3F3F3F3Fu;
        uint high = ((u2 >> 4) & 0x0F0F0F0Fu) | ((u1 >> 2) & 0x30303030u);
        return low | ((ulong)high << 32);
    }

    /// <summary>Eight bytes as the low eight int16 lanes of a 512-bit register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<short> Widen8(ulong bytes) =>
        Vector128.WidenLower(Vector128.CreateScalar(bytes).AsByte()).AsInt16().ToVector256Unsafe().ToVector512Unsafe();

    /// <summary>Σ m·bsum over pairs of groups for eight 32-value mins: lane i = m_i·(bsum_2i + bsum_2i+1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MinPairs(ulong mins, short* bsums)
    {
        var m = Avx2.ConvertToVector256Int32(Vector128.CreateScalar(mins).AsByte());
        var pairs = Avx2.MultiplyAddAdjacent(Vector256.Load(bsums), Vector256.Create((short)1));
        return m * pairs;
    }
}

internal unsafe struct Q5_KBlock : IKQuantBlock
{
    public static int BlockBytes => 176;
    public static bool HasMin => true;

    /// <summary>Bit 2c (first 32 values of chunk c) or 2c+1 (last 32) of each qh byte, moved to bit 4 (16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> HighBits(Vector512<byte> qhPair, int chunk)
    {
        var words = qhPair.AsUInt16();
        // Within each byte, bit 2c goes to bit 4; the 16-bit shift cannot carry a neighbour's bit there.
        var moved = chunk switch
        {
            0 => Vector512.ShiftLeft(words, 4),
            1 => Vector512.ShiftLeft(words, 2),
            2 => words,
            _ => Vector512.ShiftRightLogical(words, 2),
        };
        return moved.AsByte() & Vector512.Create((byte)16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> Lanes(byte* block, sbyte* x, short* bsums)
    {
        var scales = KQuantRegisters.Widen8(KQuantRegisters.Scales6(block + 4));
        var qh = Vector256.Load(block + 16);
        // Lower half: bit 2c of qh for values 0-31 of chunk c; upper half: bit 2c+1, shifted down to 2c.
        var qhPair = Avx512F.InsertVector256(qh.ToVector512Unsafe(), Vector256.ShiftRightLogical(qh.AsUInt16(), 1).AsByte(), 1);
        byte* qs = block + 48;
        var lanes = Int8Dot.Quads(KQuantRegisters.Nibbles(qs) | HighBits(qhPair, 0), Vector512.Load(x), KQuantRegisters.SubBlockWeights(scales, 0));
        lanes += Int8Dot.Quads(KQuantRegisters.Nibbles(qs + 32) | HighBits(qhPair, 1), Vector512.Load(x + 64), KQuantRegisters.SubBlockWeights(scales, 1));
        lanes += Int8Dot.Quads(KQuantRegisters.Nibbles(qs + 64) | HighBits(qhPair, 2), Vector512.Load(x + 128), KQuantRegisters.SubBlockWeights(scales, 2));
        lanes += Int8Dot.Quads(KQuantRegisters.Nibbles(qs + 96) | HighBits(qhPair, 3), Vector512.Load(x + 192), KQuantRegisters.SubBlockWeights(scales, 3));
        return lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Scale(byte* block) => HalfTable.Values[*(ushort*)block];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MinPairs(byte* block, short* bsums) => KQuantRegisters.MinPairs(KQuantRegisters.Mins6(block + 4), bsums);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MinScale(byte* block) => HalfTable.Values[*(ushort*)(block + 2)];
}

/// <summary>
/// Matrix-vector products of k-quant rows for few tokens on the 512-bit path: each row is read once, in
/// order, decoded in registers and multiplied with the token. Same integers and the same float steps as
/// <see cref="KQuantKernels"/> on the decoded scratch rows, so the results are bit-identical to it.
/// </summary>
internal static unsafe class KQuantGemv
{

    public static void Dot<TBlock>(byte* weights, long rowBytes, int row, int count, int columns,
        QuantizedActivations x, int token, float* y)
        where TBlock : struct, IKQuantBlock
    {
        int blocks = columns / 256;
        sbyte* xq = x.QuantRow(token);
        float* xd = x.ScaleRow(token);
        short* bsums = x.BlockSumRow(token);
        for (int k = 0; k < count; k++)
        {
            byte* r = weights + (row + k) * rowBytes;
            Vector512<float> acc = default;
            Vector256<float> min = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* block = r + (long)b * TBlock.BlockBytes;
                byte* ahead = block + KernelOptions.PrefetchBytes;
                Sse.Prefetch0(ahead);
                Sse.Prefetch0(ahead + 64);
                Sse.Prefetch0(ahead + 128);
                if (TBlock.BlockBytes > 192) Sse.Prefetch0(ahead + 192);
                float dx = xd[b];
                var lanes = TBlock.Lanes(block, xq + 256 * b, bsums + 16 * b);
                acc = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(lanes), Vector512.Create(TBlock.Scale(block) * dx), acc);
                if (TBlock.HasMin)
                {
                    var pairs = Vector256.ConvertToSingle(TBlock.MinPairs(block, bsums + 16 * b));
                    min = Vector256.FusedMultiplyAdd(pairs, Vector256.Create(-(TBlock.MinScale(block) * dx)), min);
                }
            }
            y[k] = LaneSum.Of16(acc) + LaneSum.Of8(min);
        }
    }
}
