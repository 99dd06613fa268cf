using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>Reads one 64-value chunk (two blocks) of a 32-value block type straight from the weight row into
/// registers, in the same form <see cref="WeightDecoder"/> writes to scratch: values in natural order and
/// the block scales spread over lanes 0-7 and 8-15.</summary>
internal unsafe interface IBlock32Chunk
{
    static abstract int BlockBytes { get; }
    static abstract Vector512<byte> Values(byte* firstBlock);
}

internal unsafe struct Q4_1Chunk : IBlock32Chunk
{
    public static int BlockBytes => 20;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Values(byte* firstBlock) => Nibbles(firstBlock + 4, firstBlock + 4 + 20);

    /// <summary>[q0 | q1] and their high nibbles, reordered to q0 low, q0 high, q1 low, q1 high.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> Nibbles(byte* q0, byte* q1)
    {
        var packed = Avx2.InsertVector128(Vector128.Load(q0).ToVector256Unsafe(), Vector128.Load(q1), 1);
        var both = Avx512F.InsertVector256(packed.ToVector512Unsafe(), Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte(), 1);
        var ordered = Avx512F.Shuffle4x128(both.AsUInt64(), both.AsUInt64(), 0b11_01_10_00).AsByte();
        return ordered & Vector512.Create((byte)0x0F);
    }
}

/// <summary>
/// Matrix-vector products for few tokens of Q4_1 on the 512-bit path: the weight rows are read once, decoded in
/// registers (no scratch) and multiplied with each token. Same per-lane arithmetic as
/// <see cref="Block32Kernels"/>, so results are bit-identical to the decoded path.
/// </summary>
internal static unsafe class Block32Gemv
{

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> ScaleLanes(float* table, byte* firstBlock, int blockBytes) =>
        Avx512F.InsertVector256(Vector512.Create(table[*(ushort*)firstBlock]),
            Vector256.Create(table[*(ushort*)(firstBlock + blockBytes)]), 1);

    /// <summary>Rows [row, row+count) of the weight matrix against one token, one row after the other: a single
    /// sequential stream per thread keeps the hardware prefetcher at full bandwidth (interleaving several rows
    /// measured 2× slower from memory).</summary>
    public static void Dot<TFormat, TChunk>(byte* weights, long rowBytes, int row, int count, int columns,
        QuantizedActivations x, int token, float* y)
        where TFormat : struct, IBlock32Format where TChunk : struct, IBlock32Chunk
    {
        int blocks = columns / 32;
        int wholeChunks = blocks / 2;
        sbyte* xq = x.QuantRow(token);
        float* xs = x.ScaleLaneRow(token);
        float* table = HalfTable.Values;
        byte* r0 = weights + row * rowBytes;
        var ones = Vector512.Create((short)1);
        var offset = Vector512.Create(TFormat.Offset);
        for (int k = 0; k < count; k++)
        {
            byte* r = r0 + k * rowBytes;
            Vector512<float> acc = default;
            for (int c = 0; c < wholeChunks; c++)
            {
                Sse.Prefetch0(r + (long)c * 2 * TChunk.BlockBytes + KernelOptions.PrefetchBytes);
                var xv = Vector512.Load(xq + 64 * c);
                var correction = TFormat.Offset != 0 ? Int8Dot.Quads(offset, xv, ones) : default;
                var xScale = Vector512.Load(xs + 16 * c);
                acc = Step<TFormat, TChunk>(table, r + (long)c * 2 * TChunk.BlockBytes, xv, correction, xScale, acc);
            }
            y[k] = Finish<TFormat, TChunk>(r, blocks, xq, xs, acc, x, token);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Step<TFormat, TChunk>(float* table, byte* chunk, Vector512<sbyte> xv,
        Vector512<int> correction, Vector512<float> xScale, Vector512<float> acc)
        where TFormat : struct, IBlock32Format where TChunk : struct, IBlock32Chunk
    {
        var lanes = Int8Dot.Quads(TChunk.Values(chunk), xv, Vector512.Create((short)1));
        if (TFormat.Offset != 0) lanes -= correction;
        var scale = ScaleLanes(table, chunk, TChunk.BlockBytes) * xScale;
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(lanes), scale, acc);
    }

    /// <summary>The odd last block (its second half of the chunk is zero, as in the scratch form), the lane
    /// sum and the minimum's term.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Finish<TFormat, TChunk>(byte* row, int blocks, sbyte* xq, float* xs, Vector512<float> acc,
        QuantizedActivations x, int token)
        where TFormat : struct, IBlock32Format where TChunk : struct, IBlock32Chunk
    {
        if ((blocks & 1) != 0)
        {
            // Decode the lone block through a zero-padded copy so the arithmetic matches the scratch path.
            byte* padded = stackalloc byte[2 * 40];
            new Span<byte>(padded, 80).Clear();
            Buffer.MemoryCopy(row + (long)(blocks - 1) * TChunk.BlockBytes, padded, 80, TChunk.BlockBytes);
            int c = blocks / 2;
            var xv = Vector512.Load(xq + 64 * c);
            var ones = Vector512.Create((short)1);
            var correction = TFormat.Offset != 0 ? Int8Dot.Quads(Vector512.Create(TFormat.Offset), xv, ones) : default;
            var xScale = Vector512.Load(xs + 16 * c);
            // The padded second block has scale 0 (table[0] = 0) and values 0 (or offset-only nibbles,
            // which the zero scale cancels exactly as the zero scratch does).
            acc = Step<TFormat, TChunk>(HalfTable.Values, padded, xv, correction, xScale, acc);
        }
        float result = LaneSum.Of16(acc);
        if (TFormat.HasMin)
        {
            float* sums = x.SumRow(token);
            float total = 0;
            for (int b = 0; b < blocks; b++)
                total += HalfTable.Values[*(ushort*)(row + (long)b * TChunk.BlockBytes + 2)] * sums[b];
            // Padded blocks contribute m = 0 in the scratch form: the same sum.
            result += total;
        }
        return result;
    }
}
