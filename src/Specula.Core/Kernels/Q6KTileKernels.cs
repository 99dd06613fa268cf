using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// Products of one Q6_K <see cref="RowTiles"/> tile (16 rows) with a range of tokens (Q8_K activations). For
/// each output (row r, token t) and each 256-value block b in order:
/// <list type="bullet">
/// <item>I = Σ over the sixteen 16-value groups g of scale_g · Σ (q − 32)·x, exact: the 6-bit values (stored
/// unsigned, 0..63) times the activation bytes are summed in int16 two registers at a time (pairs of at most
/// 2·63·127), multiplied by the signed group scale and widened; then 32·Σ_g scale_g·bsum_g is subtracted;</item>
/// <item>acc = acc + I · (d · d_x), one fused multiply-add; the result is acc.</item>
/// </list>
/// Every width (16, 8 or 4 rows per register) and every grouping of tokens performs exactly these steps per
/// output, so results are bit-identical across widths, batches and thread counts.
/// <para>Values of a 128-value half h come from the low-bit unit k (bytes 4k..4k+3 of ql) and high-bit unit m
/// (of qh): for m = 8h + i, i = 0..7, the values 128h + 32L + 4i.. of letter L = 0..3 are: L=0 ql unit 16h+i low
/// nibbles with qh bits 0-1; L=1 ql unit 16h+8+i low nibbles with bits 2-3; L=2 unit 16h+i high nibbles with
/// bits 4-5; L=3 unit 16h+8+i high nibbles with bits 6-7. The tile stores the units of i = 4u..4u+3 together
/// as step 2h+u (<see cref="RowTiles"/>).</para>
/// </summary>
internal static unsafe class Q6KTileKernels
{
    const int MaxTokens = 4;
    const int BlockBytes = RowTiles.Q6_KBlockBytes;
    const int PairBytes = 64 + 2 * BlockBytes;

    /// <summary>In every 32-bit word: signed byte k as the high byte of both int16 halves (an arithmetic
    /// shift right by 8 then sign-extends it: a group scale as a pair weight).</summary>
    static readonly byte[][] ScaleIndex = BuildIndex(k => [0x80, (byte)k, 0x80, (byte)k], 4);

    /// <summary>In every 32-bit word: signed bytes k and k+1 as the high bytes of the two int16 halves.</summary>
    static readonly byte[][] ScalePairIndex = BuildIndex(k => [0x80, (byte)(2 * k), 0x80, (byte)(2 * k + 1)], 2);

    static readonly Vector512<byte>[] Scale512 = Array.ConvertAll(ScaleIndex, Widen512);
    static readonly Vector512<byte>[] ScalePair512 = Array.ConvertAll(ScalePairIndex, Widen512);
    static readonly Vector256<byte>[] Scale256 = Array.ConvertAll(ScaleIndex, i => Vector256.Create(Vector128.Create(i), Vector128.Create(i)));
    static readonly Vector256<byte>[] ScalePair256 = Array.ConvertAll(ScalePairIndex, i => Vector256.Create(Vector128.Create(i), Vector128.Create(i)));
    static readonly Vector128<byte>[] Scale128 = Array.ConvertAll(ScaleIndex, Vector128.Create);
    static readonly Vector128<byte>[] ScalePair128 = Array.ConvertAll(ScalePairIndex, Vector128.Create);

    static byte[][] BuildIndex(Func<int, byte[]> word, int count)
    {
        var result = new byte[count][];
        for (int k = 0; k < count; k++)
        {
            result[k] = new byte[16];
            var pattern = word(k);
            for (int w = 0; w < 4; w++)
                for (int i = 0; i < 4; i++) result[k][4 * w + i] = pattern[i] == 0x80 ? (byte)0x80 : (byte)(4 * w + pattern[i]);
        }
        return result;
    }

    static Vector512<byte> Widen512(byte[] index)
    {
        var lane = Vector128.Create(index);
        return Vector512.Create(Vector256.Create(lane, lane), Vector256.Create(lane, lane));
    }

    public static void Multiply(RowTiles w, int tile, QuantizedActivations x, int firstToken, int tokenCount,
        float* y, int yStride, int validRows)
    {
        int t = firstToken, end = firstToken + tokenCount;
        for (; t + MaxTokens <= end; t += MaxTokens) Run<FourTokens>(w, tile, x, t, y, yStride, validRows);
        switch (end - t)
        {
            case 3: Run<ThreeTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 2: Run<TwoTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 1: Run<OneToken>(w, tile, x, t, y, yStride, validRows); break;
        }
    }

    static void Run<TCount>(RowTiles w, int tile, QuantizedActivations x, int t, float* y, int yStride, int validRows)
        where TCount : struct, ITokenCount
    {
        float* result = stackalloc float[RowTiles.Rows * MaxTokens];
        byte* data = w.Tile(tile);
        if (KernelOptions.Use512)
        {
            Kernel512<TCount>(data, w.Blocks, x, t, result);
        }
        else if (KernelOptions.Use256)
        {
            for (int half = 0; half < 2; half++) Kernel256<TCount>(data, w.Blocks, half, x, t, result + 8 * half);
        }
        else
        {
            for (int k = 0; k < TCount.Count; k++)
                for (int quarter = 0; quarter < 4; quarter++) Kernel128(data, w.Blocks, quarter, x, t + k, result + 16 * k + 4 * quarter);
        }
        RowTiles.StoreResults(result, TCount.Count, tile, validRows, y, t, yStride);
    }

    // ---------------------------------------------------------------- 512 bits: 16 rows per register

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<sbyte> Broadcast512(sbyte* x) => Vector512.Create(*(int*)x).AsSByte();

    /// <summary>Values 128h + 32L + 4i.. of the sixteen rows (see the class remarks), 0..63.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> Values512(byte* block, int h, int letter, int i)
    {
        byte* step = block + 256 + (2 * h + (i >> 2)) * RowTiles.Q6_KStepBytes;
        var low = Vector512.Load(step + 64 * (4 * (letter & 1) + (i & 3)));
        var high = Vector512.Load(step + 512 + 64 * (i & 3)).AsUInt16();
        var nibbles = letter < 2 ? low : Vector512.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
        var bits = letter switch
        {
            0 => Vector512.ShiftLeft(high, 4),
            1 => Vector512.ShiftLeft(high, 2),
            2 => high,
            _ => Vector512.ShiftRightLogical(high, 2),
        };
        return (nibbles & Vector512.Create((byte)0x0F)) | (bits.AsByte() & Vector512.Create((byte)0x30));
    }

    /// <summary>Group g's scale of the sixteen rows as int16 pair weights.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<short> GroupScale512(byte* block, int g) =>
        Vector512.ShiftRightArithmetic(Avx512BW.Shuffle(Vector512.Load(block + 64 * (g >> 2)), Scale512[g & 3]).AsInt16(), 8);

    /// <summary>32·Σ_g scale_g·bsum_g for one token: the +32 of the stored values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Offset512(byte* block, short* bsums)
    {
        Vector512<int> sum = default;
        for (int w = 0; w < 4; w++)
        {
            var words = Vector512.Load(block + 64 * w);
            for (int k = 0; k < 2; k++)
            {
                var pair = Vector512.ShiftRightArithmetic(Avx512BW.Shuffle(words, ScalePair512[k]).AsInt16(), 8);
                sum += Int8Dot.MultiplyAdd(pair, Vector512.Create(*(int*)(bsums + 4 * w + 2 * k)).AsInt16());
            }
        }
        return sum << 5;
    }

    /// <summary>One 16-value group (four registers) of the sixteen rows against up to four tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Group512<TCount>(byte* block, int h, int letter, int upper, int xo,
        sbyte* q0, sbyte* q1, sbyte* q2, sbyte* q3,
        ref Vector512<int> i0, ref Vector512<int> i1, ref Vector512<int> i2, ref Vector512<int> i3)
        where TCount : struct, ITokenCount
    {
        int g = 8 * h + 2 * letter + upper;
        var scale = GroupScale512(block, g);
        int first = 4 * upper;
        var v0 = Values512(block, h, letter, first);
        var v1 = Values512(block, h, letter, first + 1);
        var v2 = Values512(block, h, letter, first + 2);
        var v3 = Values512(block, h, letter, first + 3);
        int at = xo + 16 * g;
        i0 += GroupSum512(v0, v1, v2, v3, scale, q0 + at);
        if (TCount.Count > 1) i1 += GroupSum512(v0, v1, v2, v3, scale, q1 + at);
        if (TCount.Count > 2) i2 += GroupSum512(v0, v1, v2, v3, scale, q2 + at);
        if (TCount.Count > 3) i3 += GroupSum512(v0, v1, v2, v3, scale, q3 + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> GroupSum512(Vector512<byte> v0, Vector512<byte> v1, Vector512<byte> v2, Vector512<byte> v3,
        Vector512<short> scale, sbyte* x)
    {
        var first = Int8Dot.Pairs(v0, Broadcast512(x)) + Int8Dot.Pairs(v1, Broadcast512(x + 4));
        var second = Int8Dot.Pairs(v2, Broadcast512(x + 8)) + Int8Dot.Pairs(v3, Broadcast512(x + 12));
        return Int8Dot.MultiplyAdd(first, scale) + Int8Dot.MultiplyAdd(second, scale);
    }

    static void Kernel512<TCount>(byte* tile, int blocks, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        int n = TCount.Count;
        sbyte* q0 = x.QuantRow(t), q1 = x.QuantRow(t + Math.Min(1, n - 1)), q2 = x.QuantRow(t + Math.Min(2, n - 1)), q3 = x.QuantRow(t + n - 1);
        float* d0 = x.ScaleRow(t), d1 = x.ScaleRow(t + Math.Min(1, n - 1)), d2 = x.ScaleRow(t + Math.Min(2, n - 1)), d3 = x.ScaleRow(t + n - 1);
        short* s0 = x.BlockSumRow(t), s1 = x.BlockSumRow(t + Math.Min(1, n - 1)), s2 = x.BlockSumRow(t + Math.Min(2, n - 1)), s3 = x.BlockSumRow(t + n - 1);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* pair = tile + (long)(b >> 1) * PairBytes;
            byte* block = pair + 64 + (b & 1) * BlockBytes;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            int xo = 256 * b;
            for (int h = 0; h < 2; h++)
            {
                for (int upper = 0; upper < 2; upper++)
                {
                    // The units of a step are read out of order: requesting all twelve lines first lets their
                    // misses overlap (measured 2x faster from memory than fetching further ahead, or not at all).
                    byte* step = block + 256 + (2 * h + upper) * RowTiles.Q6_KStepBytes;
                    for (int line = 0; line < RowTiles.Q6_KStepBytes; line += 64) Sse.Prefetch0(step + line);
                    Group512<TCount>(block, h, 0, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group512<TCount>(block, h, 1, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group512<TCount>(block, h, 2, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group512<TCount>(block, h, 3, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                }
            }
            var d = F16Row.Load16(pair + 32 * (b & 1));
            int so = 16 * b;
            a0 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i0 - Offset512(block, s0 + so)), d * Vector512.Create(d0[b]), a0);
            if (TCount.Count > 1) a1 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i1 - Offset512(block, s1 + so)), d * Vector512.Create(d1[b]), a1);
            if (TCount.Count > 2) a2 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i2 - Offset512(block, s2 + so)), d * Vector512.Create(d2[b]), a2);
            if (TCount.Count > 3) a3 = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(i3 - Offset512(block, s3 + so)), d * Vector512.Create(d3[b]), a3);
        }
        a0.Store(result);
        if (TCount.Count > 1) a1.Store(result + 16);
        if (TCount.Count > 2) a2.Store(result + 32);
        if (TCount.Count > 3) a3.Store(result + 48);
    }

    // ---------------------------------------------------------------- 256 bits: 8 rows (one half of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<byte> Values256(byte* block, int h, int letter, int i)
    {
        byte* step = block + 256 + (2 * h + (i >> 2)) * RowTiles.Q6_KStepBytes;
        var low = Vector256.Load(step + 64 * (4 * (letter & 1) + (i & 3)));
        var high = Vector256.Load(step + 512 + 64 * (i & 3)).AsUInt16();
        var nibbles = letter < 2 ? low : Vector256.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
        var bits = letter switch
        {
            0 => Vector256.ShiftLeft(high, 4),
            1 => Vector256.ShiftLeft(high, 2),
            2 => high,
            _ => Vector256.ShiftRightLogical(high, 2),
        };
        return (nibbles & Vector256.Create((byte)0x0F)) | (bits.AsByte() & Vector256.Create((byte)0x30));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Broadcast256(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> GroupSum256(Vector256<byte> v0, Vector256<byte> v1, Vector256<byte> v2, Vector256<byte> v3,
        Vector256<short> scale, sbyte* x)
    {
        var first = Int8Dot.Pairs(v0, Broadcast256(x)) + Int8Dot.Pairs(v1, Broadcast256(x + 4));
        var second = Int8Dot.Pairs(v2, Broadcast256(x + 8)) + Int8Dot.Pairs(v3, Broadcast256(x + 12));
        return Int8Dot.MultiplyAdd(first, scale) + Int8Dot.MultiplyAdd(second, scale);
    }

    /// <summary>As <see cref="Group512{TCount}"/> for eight rows (<paramref name="block"/> already offset to the half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Group256<TCount>(byte* block, int h, int letter, int upper, int xo,
        sbyte* q0, sbyte* q1, sbyte* q2, sbyte* q3,
        ref Vector256<int> i0, ref Vector256<int> i1, ref Vector256<int> i2, ref Vector256<int> i3)
        where TCount : struct, ITokenCount
    {
        int g = 8 * h + 2 * letter + upper;
        var scale = Vector256.ShiftRightArithmetic(Avx2.Shuffle(Vector256.Load(block + 64 * (g >> 2)), Scale256[g & 3]).AsInt16(), 8);
        int first = 4 * upper;
        var v0 = Values256(block, h, letter, first);
        var v1 = Values256(block, h, letter, first + 1);
        var v2 = Values256(block, h, letter, first + 2);
        var v3 = Values256(block, h, letter, first + 3);
        int at = xo + 16 * g;
        i0 += GroupSum256(v0, v1, v2, v3, scale, q0 + at);
        if (TCount.Count > 1) i1 += GroupSum256(v0, v1, v2, v3, scale, q1 + at);
        if (TCount.Count > 2) i2 += GroupSum256(v0, v1, v2, v3, scale, q2 + at);
        if (TCount.Count > 3) i3 += GroupSum256(v0, v1, v2, v3, scale, q3 + at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Offset256(byte* block, short* bsums)
    {
        Vector256<int> sum = default;
        for (int w = 0; w < 4; w++)
        {
            var words = Vector256.Load(block + 64 * w);
            for (int k = 0; k < 2; k++)
            {
                var pair = Vector256.ShiftRightArithmetic(Avx2.Shuffle(words, ScalePair256[k]).AsInt16(), 8);
                sum += Int8Dot.MultiplyAdd(pair, Vector256.Create(*(int*)(bsums + 4 * w + 2 * k)).AsInt16());
            }
        }
        return sum << 5;
    }

    static void Kernel256<TCount>(byte* tile, int blocks, int half, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        int n = TCount.Count;
        sbyte* q0 = x.QuantRow(t), q1 = x.QuantRow(t + Math.Min(1, n - 1)), q2 = x.QuantRow(t + Math.Min(2, n - 1)), q3 = x.QuantRow(t + n - 1);
        float* d0 = x.ScaleRow(t), d1 = x.ScaleRow(t + Math.Min(1, n - 1)), d2 = x.ScaleRow(t + Math.Min(2, n - 1)), d3 = x.ScaleRow(t + n - 1);
        short* s0 = x.BlockSumRow(t), s1 = x.BlockSumRow(t + Math.Min(1, n - 1)), s2 = x.BlockSumRow(t + Math.Min(2, n - 1)), s3 = x.BlockSumRow(t + n - 1);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* pair = tile + (long)(b >> 1) * PairBytes;
            byte* block = pair + 64 + (b & 1) * BlockBytes + 32 * half;
            Vector256<int> i0 = default, i1 = default, i2 = default, i3 = default;
            int xo = 256 * b;
            for (int h = 0; h < 2; h++)
            {
                for (int upper = 0; upper < 2; upper++)
                {
                    byte* step = block - 32 * half + 256 + (2 * h + upper) * RowTiles.Q6_KStepBytes;
                    for (int line = 0; line < RowTiles.Q6_KStepBytes; line += 64) Sse.Prefetch0(step + line);
                    Group256<TCount>(block, h, 0, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group256<TCount>(block, h, 1, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group256<TCount>(block, h, 2, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                    Group256<TCount>(block, h, 3, upper, xo, q0, q1, q2, q3, ref i0, ref i1, ref i2, ref i3);
                }
            }
            var d = WeightDecoder.HalfToSingle(Vector128.Load((ushort*)(pair + 32 * (b & 1)) + 8 * half));
            int so = 16 * b;
            a0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0 - Offset256(block, s0 + so)), d * Vector256.Create(d0[b]), a0);
            if (TCount.Count > 1) a1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1 - Offset256(block, s1 + so)), d * Vector256.Create(d1[b]), a1);
            if (TCount.Count > 2) a2 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i2 - Offset256(block, s2 + so)), d * Vector256.Create(d2[b]), a2);
            if (TCount.Count > 3) a3 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i3 - Offset256(block, s3 + so)), d * Vector256.Create(d3[b]), a3);
        }
        a0.Store(result);
        if (TCount.Count > 1) a1.Store(result + 16);
        if (TCount.Count > 2) a2.Store(result + 32);
        if (TCount.Count > 3) a3.Store(result + 48);
    }

    // ---------------------------------------------------------------- 128 bits: 4 rows (one quarter of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<byte> Values128(byte* block, int h, int letter, int i)
    {
        byte* step = block + 256 + (2 * h + (i >> 2)) * RowTiles.Q6_KStepBytes;
        var low = Vector128.Load(step + 64 * (4 * (letter & 1) + (i & 3)));
        var high = Vector128.Load(step + 512 + 64 * (i & 3)).AsUInt16();
        var nibbles = letter < 2 ? low : Vector128.ShiftRightLogical(low.AsUInt16(), 4).AsByte();
        var bits = letter switch
        {
            0 => Vector128.ShiftLeft(high, 4),
            1 => Vector128.ShiftLeft(high, 2),
            2 => high,
            _ => Vector128.ShiftRightLogical(high, 2),
        };
        return (nibbles & Vector128.Create((byte)0x0F)) | (bits.AsByte() & Vector128.Create((byte)0x30));
    }

    static void Kernel128(byte* tile, int blocks, int quarter, QuantizedActivations x, int t, float* result)
    {
        sbyte* xq = x.QuantRow(t);
        float* xd = x.ScaleRow(t);
        short* bsums = x.BlockSumRow(t);
        Vector128<float> acc = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* pair = tile + (long)(b >> 1) * PairBytes;
            byte* block = pair + 64 + (b & 1) * BlockBytes + 16 * quarter;
            Vector128<int> sum = default;
            for (int h = 0; h < 2; h++)
            {
                for (int letter = 0; letter < 4; letter++)
                {
                    for (int upper = 0; upper < 2; upper++)
                    {
                        int g = 8 * h + 2 * letter + upper;
                        var scale = Vector128.ShiftRightArithmetic(Vector128.Shuffle(Vector128.Load(block + 64 * (g >> 2)), Scale128[g & 3]).AsInt16(), 8);
                        sbyte* xg = xq + 256 * b + 16 * g;
                        var first = Int8Dot.Pairs(Values128(block, h, letter, 4 * upper), Vector128.Create(*(int*)xg).AsSByte())
                            + Int8Dot.Pairs(Values128(block, h, letter, 4 * upper + 1), Vector128.Create(*(int*)(xg + 4)).AsSByte());
                        var second = Int8Dot.Pairs(Values128(block, h, letter, 4 * upper + 2), Vector128.Create(*(int*)(xg + 8)).AsSByte())
                            + Int8Dot.Pairs(Values128(block, h, letter, 4 * upper + 3), Vector128.Create(*(int*)(xg + 12)).AsSByte());
                        sum += Int8Dot.MultiplyAdd(first, scale) + Int8Dot.MultiplyAdd(second, scale);
                    }
                }
            }
            Vector128<int> offset = default;
            short* s = bsums + 16 * b;
            for (int w = 0; w < 4; w++)
            {
                var words = Vector128.Load(block + 64 * w);
                for (int k = 0; k < 2; k++)
                {
                    var scalePair = Vector128.ShiftRightArithmetic(Vector128.Shuffle(words, ScalePair128[k]).AsInt16(), 8);
                    offset += Int8Dot.MultiplyAdd(scalePair, Vector128.Create(*(int*)(s + 4 * w + 2 * k)).AsInt16());
                }
            }
            var d = WeightDecoder.HalfToSingle(Vector128.CreateScalar(*(ulong*)(pair + 32 * (b & 1) + 8 * quarter)).AsUInt16()).GetLower();
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum - (offset << 5)), d * Vector128.Create(xd[b]), acc);
        }
        acc.Store(result);
    }
}
