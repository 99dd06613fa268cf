using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>How many tokens one pass of a tile kernel multiplies (each with its own accumulator).</summary>
internal interface ITokenCount { static abstract int Count { get; } }
internal struct OneToken : ITokenCount { public static int Count => 1; }
internal struct TwoTokens : ITokenCount { public static int Count => 2; }
internal struct ThreeTokens : ITokenCount { public static int Count => 3; }
internal struct FourTokens : ITokenCount { public static int Count => 4; }
internal struct FiveTokens : ITokenCount { public static int Count => 5; }
internal struct SixTokens : ITokenCount { public static int Count => 6; }
internal struct SevenTokens : ITokenCount { public static int Count => 7; }
internal struct EightTokens : ITokenCount { public static int Count => 8; }

/// <summary>
/// Products of one <see cref="RowTiles"/> tile (16 rows) with a range of tokens, for Q4_0 and Q8_0 weights
/// against Q8_0 activations. For each output (row r, token t) and each block b in order, the block's exact
/// integer dot product Σ (w − offset)·x is converted to float and accumulated with one fused multiply-add,
/// acc = acc + sum · (d_w · d_x), starting from zero; the accumulator is the result. Every width (512: 16
/// rows per register, 256: 8, 128: 4) and every number of tokens processed together performs exactly these
/// steps per output, so the results are bit-identical whatever the width, the batch or the thread count.
/// <para>Q4_0: the unsigned nibbles (0..15) times the activation bytes are summed in int16 over the whole block
/// (eight pairs of at most 2·15·127 each fit), widened once, and 8·Σx is subtracted. Q8_0: |w| times x with
/// w's sign, widened to int32 per group of four values.</para>
/// </summary>
internal static unsafe class TileKernels
{
    /// <summary>Tokens multiplied per pass over a tile: each unpacked weight register serves this many.</summary>
    const int MaxTokens = 8;

    /// <summary>Multiplies tile <paramref name="tile"/> with tokens [<paramref name="firstToken"/>,
    /// +<paramref name="tokenCount"/>): output row <c>tile·16 + r</c> of token t goes to
    /// <c>y[t·yStride + tile·16 + r]</c> for the <paramref name="validRows"/> real rows.</summary>
    public static void Multiply(RowTiles w, int tile, QuantizedActivations x, int firstToken, int tokenCount,
        float* y, int yStride, int validRows)
    {
        int t = firstToken, end = firstToken + tokenCount;
        for (; t + MaxTokens <= end; t += MaxTokens) Run<EightTokens>(w, tile, x, t, y, yStride, validRows);
        switch (end - t)
        {
            case 7: Run<SevenTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 6: Run<SixTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 5: Run<FiveTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 4: Run<FourTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 3: Run<ThreeTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 2: Run<TwoTokens>(w, tile, x, t, y, yStride, validRows); break;
            case 1: Run<OneToken>(w, tile, x, t, y, yStride, validRows); break;
        }
    }

    static void Run<TCount>(RowTiles w, int tile, QuantizedActivations x, int t, float* y, int yStride, int validRows)
        where TCount : struct, ITokenCount
    {
        // Results go through a small buffer: 16 rows per token, then only the real rows are copied out.
        float* result = stackalloc float[RowTiles.Rows * MaxTokens];
        byte* data = w.Tile(tile);
        bool q4 = w.Type == GgmlType.Q4_0;
        if (KernelOptions.Use512)
        {
            if (q4) Q4_0x512<TCount>(data, w.Blocks, x, t, result);
            else Q8_0x512<TCount>(data, w.Blocks, x, t, result);
        }
        else if (KernelOptions.Use256)
        {
            for (int half = 0; half < 2; half++)
            {
                if (q4) Q4_0x256<TCount>(data, w.Blocks, half, x, t, result + 8 * half);
                else Q8_0x256<TCount>(data, w.Blocks, half, x, t, result + 8 * half);
            }
        }
        else
        {
            for (int quarter = 0; quarter < 4; quarter++)
            {
                if (q4) Q4_0x128<TCount>(data, w.Blocks, quarter, x, t, result + 4 * quarter);
                else Q8_0x128<TCount>(data, w.Blocks, quarter, x, t, result + 4 * quarter);
            }
        }
        RowTiles.StoreResults(result, TCount.Count, tile, validRows, y, t, yStride);
    }

    /// <summary>A pair of blocks with their two 32-byte scale fields (see <see cref="RowTiles"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int PairBytes(int blockBytes) => 64 + 2 * blockBytes;

    // ---------------------------------------------------------------- 512 bits: 16 rows per register

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<sbyte> Broadcast512(sbyte* x) => Vector512.Create(*(int*)x).AsSByte();

    /// <summary>One block of Q4_0 against one token: the nibble offset (−8·Σx per pair lane) plus the eight
    /// value groups summed in int16 — wrapping adds whose final value, the exact |Σ (q−8)·x| ≤ 16·8·127 per
    /// lane, fits — then widened, converted and accumulated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Q4Step512(Vector512<byte> v0, Vector512<byte> v1, Vector512<byte> v2, Vector512<byte> v3,
        Vector512<byte> v4, Vector512<byte> v5, Vector512<byte> v6, Vector512<byte> v7, Vector512<float> wd,
        sbyte* xb, float xd, int* nibbleOffset, Vector512<float> acc)
    {
        var s = Vector512.Create(*nibbleOffset).AsInt16() + Int8Dot.Pairs(v0, Broadcast512(xb));
        s += Int8Dot.Pairs(v1, Broadcast512(xb + 4));
        s += Int8Dot.Pairs(v2, Broadcast512(xb + 8));
        s += Int8Dot.Pairs(v3, Broadcast512(xb + 12));
        s += Int8Dot.Pairs(v4, Broadcast512(xb + 16));
        s += Int8Dot.Pairs(v5, Broadcast512(xb + 20));
        s += Int8Dot.Pairs(v6, Broadcast512(xb + 24));
        s += Int8Dot.Pairs(v7, Broadcast512(xb + 28));
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(Int8Dot.Widen(s)), wd * Vector512.Create(xd), acc);
    }

    /// <summary>Where token k's quantized values, scales and nibble offsets start (k below the pass's count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void TokenRows(QuantizedActivations x, int t, int count, sbyte** q, float** d, int** offsets)
    {
        for (int k = 0; k < MaxTokens; k++)
        {
            int token = t + Math.Min(k, count - 1);
            q[k] = x.QuantRow(token);
            d[k] = x.ScaleRow(token);
            offsets[k] = x.NibbleOffsetRow(token);
        }
    }

    static void Q4_0x512<TCount>(byte* tile, int blocks, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        sbyte** q = stackalloc sbyte*[MaxTokens];
        float** d = stackalloc float*[MaxTokens];
        int** o = stackalloc int*[MaxTokens];
        TokenRows(x, t, TCount.Count, q, d, o);
        sbyte* q0 = q[0];
        float* d0 = d[0];
        int* o0 = o[0];
        var low = Vector512.Create((byte)0x0F);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q4_0BlockBytes);
            byte* block = pair + 64 + (b & 1) * RowTiles.Q4_0BlockBytes;
            var wd = F16Row.Load16(pair + 32 * (b & 1));
            var p0 = Vector512.Load(block);
            var p1 = Vector512.Load(block + 64);
            var p2 = Vector512.Load(block + 128);
            var p3 = Vector512.Load(block + 192);
            var v0 = p0 & low;
            var v1 = p1 & low;
            var v2 = p2 & low;
            var v3 = p3 & low;
            var v4 = Vector512.ShiftRightLogical(p0.AsUInt16(), 4).AsByte() & low;
            var v5 = Vector512.ShiftRightLogical(p1.AsUInt16(), 4).AsByte() & low;
            var v6 = Vector512.ShiftRightLogical(p2.AsUInt16(), 4).AsByte() & low;
            var v7 = Vector512.ShiftRightLogical(p3.AsUInt16(), 4).AsByte() & low;
            int xo = 32 * b;
            a0 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q0 + xo, d0[b], o0 + b, a0);
            if (TCount.Count > 1) a1 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[1] + xo, d[1][b], o[1] + b, a1);
            if (TCount.Count > 2) a2 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[2] + xo, d[2][b], o[2] + b, a2);
            if (TCount.Count > 3) a3 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[3] + xo, d[3][b], o[3] + b, a3);
            if (TCount.Count > 4) a4 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[4] + xo, d[4][b], o[4] + b, a4);
            if (TCount.Count > 5) a5 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[5] + xo, d[5][b], o[5] + b, a5);
            if (TCount.Count > 6) a6 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[6] + xo, d[6][b], o[6] + b, a6);
            if (TCount.Count > 7) a7 = Q4Step512(v0, v1, v2, v3, v4, v5, v6, v7, wd, q[7] + xo, d[7][b], o[7] + b, a7);
        }
        a0.Store(result);
        if (TCount.Count > 1) a1.Store(result + 16);
        if (TCount.Count > 2) a2.Store(result + 32);
        if (TCount.Count > 3) a3.Store(result + 48);
        if (TCount.Count > 4) a4.Store(result + 64);
        if (TCount.Count > 5) a5.Store(result + 80);
        if (TCount.Count > 6) a6.Store(result + 96);
        if (TCount.Count > 7) a7.Store(result + 112);
    }

    /// <summary>One group of four Q8_0 values of sixteen rows against one token: |w| times x with w's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Q8Group512(Vector512<byte> magnitude, Vector512<sbyte> negative, sbyte* xg)
    {
        var xv = Broadcast512(xg);
        var signed = Vector512.ConditionalSelect(negative, -xv, xv);
        return Int8Dot.Widen(Int8Dot.Pairs(magnitude, signed));
    }

    static void Q8_0x512<TCount>(byte* tile, int blocks, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        sbyte** q = stackalloc sbyte*[MaxTokens];
        float** d = stackalloc float*[MaxTokens];
        int** o = stackalloc int*[MaxTokens];
        TokenRows(x, t, TCount.Count, q, d, o);
        sbyte* q0 = q[0];
        float* d0 = d[0];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q8_0BlockBytes);
            byte* block = pair + 64 + (b & 1) * RowTiles.Q8_0BlockBytes;
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default, i4 = default, i5 = default, i6 = default, i7 = default;
            for (int g = 0; g < 8; g++)
            {
                var wv = Vector512.Load((sbyte*)block + 64 * g);
                var negative = Vector512.LessThan(wv, Vector512<sbyte>.Zero);
                var magnitude = Vector512.Abs(wv).AsByte();
                int xo = 32 * b + 4 * g;
                i0 += Q8Group512(magnitude, negative, q0 + xo);
                if (TCount.Count > 1) i1 += Q8Group512(magnitude, negative, q[1] + xo);
                if (TCount.Count > 2) i2 += Q8Group512(magnitude, negative, q[2] + xo);
                if (TCount.Count > 3) i3 += Q8Group512(magnitude, negative, q[3] + xo);
                if (TCount.Count > 4) i4 += Q8Group512(magnitude, negative, q[4] + xo);
                if (TCount.Count > 5) i5 += Q8Group512(magnitude, negative, q[5] + xo);
                if (TCount.Count > 6) i6 += Q8Group512(magnitude, negative, q[6] + xo);
                if (TCount.Count > 7) i7 += Q8Group512(magnitude, negative, q[7] + xo);
            }
            var wd = F16Row.Load16(pair + 32 * (b & 1));
            a0 = Q8Finish512(i0, wd, d0[b], a0);
            if (TCount.Count > 1) a1 = Q8Finish512(i1, wd, d[1][b], a1);
            if (TCount.Count > 2) a2 = Q8Finish512(i2, wd, d[2][b], a2);
            if (TCount.Count > 3) a3 = Q8Finish512(i3, wd, d[3][b], a3);
            if (TCount.Count > 4) a4 = Q8Finish512(i4, wd, d[4][b], a4);
            if (TCount.Count > 5) a5 = Q8Finish512(i5, wd, d[5][b], a5);
            if (TCount.Count > 6) a6 = Q8Finish512(i6, wd, d[6][b], a6);
            if (TCount.Count > 7) a7 = Q8Finish512(i7, wd, d[7][b], a7);
        }
        a0.Store(result);
        if (TCount.Count > 1) a1.Store(result + 16);
        if (TCount.Count > 2) a2.Store(result + 32);
        if (TCount.Count > 3) a3.Store(result + 48);
        if (TCount.Count > 4) a4.Store(result + 64);
        if (TCount.Count > 5) a5.Store(result + 80);
        if (TCount.Count > 6) a6.Store(result + 96);
        if (TCount.Count > 7) a7.Store(result + 112);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Q8Finish512(Vector512<int> sum, Vector512<float> wd, float xd, Vector512<float> acc) =>
        Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sum), wd * Vector512.Create(xd), acc);

    // ---------------------------------------------------------------- 256 bits: 8 rows (one half of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Broadcast256(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    static void Q4_0x256<TCount>(byte* tile, int blocks, int half, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        var low = Vector256.Create((byte)0x0F);
        for (int k = 0; k < TCount.Count; k++)
        {
            sbyte* xq = x.QuantRow(t + k);
            float* xd = x.ScaleRow(t + k);
            int* xs = x.IntSumRow(t + k);
            Vector256<float> acc = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q4_0BlockBytes);
                byte* scales = pair + 32 * (b & 1);
                byte* block = pair + 64 + (b & 1) * RowTiles.Q4_0BlockBytes + 32 * half;
                var wd = WeightDecoder.HalfToSingle(Vector128.Load((ushort*)scales + 8 * half));
                sbyte* xb = xq + 32 * b;
                Vector256<short> s = default;
                for (int g = 0; g < 4; g++)
                {
                    var p = Vector256.Load(block + 64 * g);
                    s += Int8Dot.Pairs(p & low, Broadcast256(xb + 4 * g));
                    s += Int8Dot.Pairs(Vector256.ShiftRightLogical(p.AsUInt16(), 4).AsByte() & low, Broadcast256(xb + 16 + 4 * g));
                }
                var sum = Int8Dot.Widen(s) - Vector256.Create(xs[b] * 8);
                acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), wd * Vector256.Create(xd[b]), acc);
            }
            acc.Store(result + 16 * k);
        }
    }

    static void Q8_0x256<TCount>(byte* tile, int blocks, int half, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        for (int k = 0; k < TCount.Count; k++)
        {
            sbyte* xq = x.QuantRow(t + k);
            float* xd = x.ScaleRow(t + k);
            Vector256<float> acc = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q8_0BlockBytes);
                byte* scales = pair + 32 * (b & 1);
                byte* block = pair + 64 + (b & 1) * RowTiles.Q8_0BlockBytes + 32 * half;
                var wd = WeightDecoder.HalfToSingle(Vector128.Load((ushort*)scales + 8 * half));
                Vector256<int> sum = default;
                for (int g = 0; g < 8; g++)
                {
                    var wv = Vector256.Load((sbyte*)block + 64 * g);
                    var (magnitude, signed) = Int8Dot.MoveSign(wv, Broadcast256(xq + 32 * b + 4 * g));
                    sum = Int8Dot.AddQuads(sum, magnitude, signed);
                }
                acc = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(sum), wd * Vector256.Create(xd[b]), acc);
            }
            acc.Store(result + 16 * k);
        }
    }

    // ---------------------------------------------------------------- 128 bits: 4 rows (one quarter of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<sbyte> Broadcast128(sbyte* x) => Vector128.Create(*(int*)x).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Scales128(byte* block, int quarter) =>
        WeightDecoder.HalfToSingle(Vector128.CreateScalar(*(ulong*)(block + 8 * quarter)).AsUInt16()).GetLower();

    static void Q4_0x128<TCount>(byte* tile, int blocks, int quarter, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        var low = Vector128.Create((byte)0x0F);
        for (int k = 0; k < TCount.Count; k++)
        {
            sbyte* xq = x.QuantRow(t + k);
            float* xd = x.ScaleRow(t + k);
            int* xs = x.IntSumRow(t + k);
            Vector128<float> acc = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q4_0BlockBytes);
                byte* scales = pair + 32 * (b & 1);
                byte* block = pair + 64 + (b & 1) * RowTiles.Q4_0BlockBytes + 16 * quarter;
                sbyte* xb = xq + 32 * b;
                Vector128<short> s = default;
                for (int g = 0; g < 4; g++)
                {
                    var p = Vector128.Load(block + 64 * g);
                    s += Int8Dot.Pairs(p & low, Broadcast128(xb + 4 * g));
                    s += Int8Dot.Pairs(Vector128.ShiftRightLogical(p.AsUInt16(), 4).AsByte() & low, Broadcast128(xb + 16 + 4 * g));
                }
                var sum = Int8Dot.Widen(s) - Vector128.Create(xs[b] * 8);
                acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Scales128(scales, quarter) * Vector128.Create(xd[b]), acc);
            }
            acc.Store(result + 16 * k);
        }
    }

    static void Q8_0x128<TCount>(byte* tile, int blocks, int quarter, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        for (int k = 0; k < TCount.Count; k++)
        {
            sbyte* xq = x.QuantRow(t + k);
            float* xd = x.ScaleRow(t + k);
            Vector128<float> acc = default;
            for (int b = 0; b < blocks; b++)
            {
                byte* pair = tile + (long)(b >> 1) * PairBytes(RowTiles.Q8_0BlockBytes);
                byte* scales = pair + 32 * (b & 1);
                byte* block = pair + 64 + (b & 1) * RowTiles.Q8_0BlockBytes + 16 * quarter;
                Vector128<int> sum = default;
                for (int g = 0; g < 8; g++)
                {
                    var wv = Vector128.Load((sbyte*)block + 64 * g);
                    var (magnitude, signed) = Int8Dot.MoveSign(wv, Broadcast128(xq + 32 * b + 4 * g));
                    sum = Int8Dot.AddQuads(sum, magnitude, signed);
                }
                acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), Scales128(scales, quarter) * Vector128.Create(xd[b]), acc);
            }
            acc.Store(result + 16 * k);
        }
    }
}
