using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>The k-quants with a 6-bit scale and minimum per 32 values whose tiles <see cref="KMinTileKernels{T}"/>
/// multiply: Q4_K (4-bit values) and Q5_K (a fifth bit per value from qh).</summary>
internal interface IKMinTileFormat
{
    static abstract bool HasHighBit { get; }
    static abstract int BlockBytes { get; }
    static abstract int NibblesOffset { get; }
    /// <summary>Value registers summed in int16 before widening: pairs of at most 2·15·127 (Q4_K) let all eight
    /// of a sub-block add up, pairs of 2·31·127 (Q5_K) four.</summary>
    static abstract int RegistersPerSum { get; }
}

internal struct Q4_KTiles : IKMinTileFormat
{
    public static bool HasHighBit => false;
    public static int BlockBytes => RowTiles.Q4_KBlockBytes;
    public static int NibblesOffset => RowTiles.Q4_KHeaderBytes;
    public static int RegistersPerSum => 8;
}

internal struct Q5_KTiles : IKMinTileFormat
{
    public static bool HasHighBit => true;
    public static int BlockBytes => RowTiles.Q5_KBlockBytes;
    public static int NibblesOffset => RowTiles.Q4_KHeaderBytes + 8 * 64;
    public static int RegistersPerSum => 4;
}

/// <summary>
/// Products of one Q4_K or Q5_K <see cref="RowTiles"/> tile (16 rows) with a range of tokens (Q8_K
/// activations). For each output (row r, token t) and each 256-value block b in order:
/// <list type="bullet">
/// <item>I = Σ over the eight 32-value sub-blocks j of scale_j · Σ q·x, exact: the values times the activation
/// bytes are summed in int16 (<see cref="IKMinTileFormat.RegistersPerSum"/> registers at a time), then
/// multiplied by the 6-bit scale and widened in one step;</item>
/// <item>M = Σ_j min_j · (Σ x over sub-block j), exact;</item>
/// <item>acc = acc + I · (d · d_x) and min = min + M · (−(dmin · d_x)), each one fused multiply-add;</item>
/// </list>
/// and the result is acc + min. Every width (16, 8 or 4 rows per register) and every grouping of tokens performs
/// exactly these steps per output, so results are bit-identical across widths, batches and thread counts.
/// </summary>
internal static unsafe class KMinTileKernels<TFormat> where TFormat : struct, IKMinTileFormat
{
    const int MaxTokens = 4;
    const int HighBitsOffset = RowTiles.Q4_KHeaderBytes;

    /// <summary>In every 32-bit word: byte k copied into both int16 halves (a sub-block scale as a pair weight).</summary>
    static readonly byte[][] ScalePairIndex = BuildIndex((word, k) => [(byte)(word + k), 0x80, (byte)(word + k), 0x80], 4);

    /// <summary>In every 32-bit word: bytes 2k and 2k+1 as the two int16 halves (two mins side by side).</summary>
    static readonly byte[][] MinPairIndex = BuildIndex((word, k) => [(byte)(word + 2 * k), 0x80, (byte)(word + 2 * k + 1), 0x80], 2);

    static readonly Vector512<byte>[] ScalePair512 = Widen512(ScalePairIndex);
    static readonly Vector512<byte>[] MinPair512 = Widen512(MinPairIndex);
    static readonly Vector256<byte>[] ScalePair256 = Array.ConvertAll(ScalePairIndex, i => Vector256.Create(Vector128.Create(i), Vector128.Create(i)));
    static readonly Vector256<byte>[] MinPair256 = Array.ConvertAll(MinPairIndex, i => Vector256.Create(Vector128.Create(i), Vector128.Create(i)));
    static readonly Vector128<byte>[] ScalePair128 = Array.ConvertAll(ScalePairIndex, Vector128.Create);
    static readonly Vector128<byte>[] MinPair128 = Array.ConvertAll(MinPairIndex, Vector128.Create);

    static byte[][] BuildIndex(Func<int, int, byte[]> word, int count)
    {
        var result = new byte[count][];
        for (int k = 0; k < count; k++)
        {
            result[k] = new byte[16];
            for (int w = 0; w < 4; w++) word(4 * w, k).CopyTo(result[k], 4 * w);
        }
        return result;
    }

    static Vector512<byte>[] Widen512(byte[][] index)
    {
        var result = new Vector512<byte>[index.Length];
        for (int k = 0; k < index.Length; k++)
        {
            var lane = Vector128.Create(index[k]);
            result[k] = Vector512.Create(Vector256.Create(lane, lane), Vector256.Create(lane, lane));
        }
        return result;
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
            for (int k = 0; k < TCount.Count; k += 2)
            {
                for (int half = 0; half < 2; half++)
                {
                    if (k + 1 < TCount.Count) Kernel256<TwoTokens>(data, w.Blocks, half, x, t + k, result + 16 * k + 8 * half);
                    else Kernel256<OneToken>(data, w.Blocks, half, x, t + k, result + 16 * k + 8 * half);
                }
            }
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

    /// <summary>Scales (low: sub-blocks 0-3, high: 4-7) and mins of sixteen rows, one byte per value in each
    /// row's 32-bit words, from the three packed words per row (see <see cref="KQuantScales.UnpackScaleMin"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<uint> ScaleLow, Vector512<uint> ScaleHigh, Vector512<uint> MinLow, Vector512<uint> MinHigh) Scales512(byte* header)
    {
        var u0 = Vector512.Load((uint*)(header + 64));
        var u1 = Vector512.Load((uint*)(header + 128));
        var u2 = Vector512.Load((uint*)(header + 192));
        var six = Vector512.Create(0x3F3F3F3Fu);
        var four = Vector512.Create(0x0F0F0F0Fu);
        var top = Vector512.Create(0x30303030u);
        return (u0 & six, (u2 & four) | ((u0 >> 2) & top), u1 & six, ((u2 >> 4) & four) | ((u1 >> 2) & top));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<short> Pick512(Vector512<uint> bytes, Vector512<byte> index) => Avx512BW.Shuffle(bytes.AsByte(), index).AsInt16();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Finish512(Vector512<int> sum, Vector512<int> minSum, Vector512<float> d, Vector512<float> dmin, float dx,
        ref Vector512<float> min, Vector512<float> acc)
    {
        var xd = Vector512.Create(dx);
        min = Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(minSum), -(dmin * xd), min);
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(sum), d * xd, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> MinSum512(Vector512<short> m01, Vector512<short> m23, Vector512<short> m45, Vector512<short> m67, short* sums) =>
        Int8Dot.MultiplyAdd(m01, Vector512.Create(*(int*)sums).AsInt16()) + Int8Dot.MultiplyAdd(m23, Vector512.Create(*(int*)(sums + 2)).AsInt16())
        + Int8Dot.MultiplyAdd(m45, Vector512.Create(*(int*)(sums + 4)).AsInt16()) + Int8Dot.MultiplyAdd(m67, Vector512.Create(*(int*)(sums + 6)).AsInt16());

    /// <summary>Q5_K: bit 2c (values of sub-block 2c) and bit 2c+1 (sub-block 2c+1) of each qh byte, as 16.
    /// Within each byte the 16-bit shifts cannot carry a neighbour's bit onto bit 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector512<byte> Low, Vector512<byte> High) HighBits512(Vector512<byte> qh, int c)
    {
        var words = qh.AsUInt16();
        var sixteen = Vector512.Create((byte)16);
        var (low, high) = c switch
        {
            0 => (Vector512.ShiftLeft(words, 4), Vector512.ShiftLeft(words, 3)),
            1 => (Vector512.ShiftLeft(words, 2), Vector512.ShiftLeft(words, 1)),
            2 => (words, Vector512.ShiftRightLogical(words, 1)),
            _ => (Vector512.ShiftRightLogical(words, 2), Vector512.ShiftRightLogical(words, 3)),
        };
        return (low.AsByte() & sixteen, high.AsByte() & sixteen);
    }

    static void Kernel512<TCount>(byte* tile, int blocks, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        int n = TCount.Count;
        sbyte* q0 = x.QuantRow(t), q1 = x.QuantRow(t + Math.Min(1, n - 1)), q2 = x.QuantRow(t + Math.Min(2, n - 1)), q3 = x.QuantRow(t + n - 1);
        float* d0 = x.ScaleRow(t), d1 = x.ScaleRow(t + Math.Min(1, n - 1)), d2 = x.ScaleRow(t + Math.Min(2, n - 1)), d3 = x.ScaleRow(t + n - 1);
        short* s0 = x.SubBlockSumRow(t), s1 = x.SubBlockSumRow(t + Math.Min(1, n - 1)), s2 = x.SubBlockSumRow(t + Math.Min(2, n - 1)), s3 = x.SubBlockSumRow(t + n - 1);
        var low = Vector512.Create((byte)0x0F);
        byte* qhCopy = stackalloc byte[512];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> m0 = default, m1 = default, m2 = default, m3 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* header = tile + (long)b * TFormat.BlockBytes;
            byte* nibbles = header + TFormat.NibblesOffset;
            var (scaleLow, scaleHigh, minLow, minHigh) = Scales512(header);
            // Q5_K: the high bits are read once per chunk; read again from the tile, they measured 2x slower from
            // memory (the stream no longer looks sequential), so they are copied once per block.
            if (TFormat.HasHighBit)
                for (int g = 0; g < 8; g++) Vector512.Load(header + HighBitsOffset + 64 * g).Store(qhCopy + 64 * g);
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int c = 0; c < 4; c++)
            {
                var scales = c < 2 ? scaleLow : scaleHigh;
                var scaleLo = Pick512(scales, ScalePair512[(2 * c) & 3]);
                var scaleHi = Pick512(scales, ScalePair512[(2 * c + 1) & 3]);
                int xo = 256 * b + 64 * c;
                for (int first = 0; first < 8; first += TFormat.RegistersPerSum)
                {
                    Vector512<short> l0 = default, l1 = default, l2 = default, l3 = default;
                    Vector512<short> h0 = default, h1 = default, h2 = default, h3 = default;
                    for (int g = first; g < first + TFormat.RegistersPerSum; g++)
                    {
                        var packed = Vector512.Load(nibbles + 64 * (8 * c + g));
                        var lo = packed & low;
                        var hi = Vector512.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
                        if (TFormat.HasHighBit)
                        {
                            var (loBit, hiBit) = HighBits512(Vector512.Load(qhCopy + 64 * g), c);
                            lo |= loBit;
                            hi |= hiBit;
                        }
                        int at = xo + 4 * g;
                        l0 += Int8Dot.Pairs(lo, Broadcast512(q0 + at));
                        h0 += Int8Dot.Pairs(hi, Broadcast512(q0 + at + 32));
                        if (TCount.Count > 1) { l1 += Int8Dot.Pairs(lo, Broadcast512(q1 + at)); h1 += Int8Dot.Pairs(hi, Broadcast512(q1 + at + 32)); }
                        if (TCount.Count > 2) { l2 += Int8Dot.Pairs(lo, Broadcast512(q2 + at)); h2 += Int8Dot.Pairs(hi, Broadcast512(q2 + at + 32)); }
                        if (TCount.Count > 3) { l3 += Int8Dot.Pairs(lo, Broadcast512(q3 + at)); h3 += Int8Dot.Pairs(hi, Broadcast512(q3 + at + 32)); }
                    }
                    i0 += Int8Dot.MultiplyAdd(l0, scaleLo) + Int8Dot.MultiplyAdd(h0, scaleHi);
                    if (TCount.Count > 1) i1 += Int8Dot.MultiplyAdd(l1, scaleLo) + Int8Dot.MultiplyAdd(h1, scaleHi);
                    if (TCount.Count > 2) i2 += Int8Dot.MultiplyAdd(l2, scaleLo) + Int8Dot.MultiplyAdd(h2, scaleHi);
                    if (TCount.Count > 3) i3 += Int8Dot.MultiplyAdd(l3, scaleLo) + Int8Dot.MultiplyAdd(h3, scaleHi);
                }
            }
            var m01 = Pick512(minLow, MinPair512[0]);
            var m23 = Pick512(minLow, MinPair512[1]);
            var m45 = Pick512(minHigh, MinPair512[0]);
            var m67 = Pick512(minHigh, MinPair512[1]);
            var d = F16Row.Load16(header);
            var dmin = F16Row.Load16(header + 32);
            int so = 8 * b;
            a0 = Finish512(i0, MinSum512(m01, m23, m45, m67, s0 + so), d, dmin, d0[b], ref m0, a0);
            if (TCount.Count > 1) a1 = Finish512(i1, MinSum512(m01, m23, m45, m67, s1 + so), d, dmin, d1[b], ref m1, a1);
            if (TCount.Count > 2) a2 = Finish512(i2, MinSum512(m01, m23, m45, m67, s2 + so), d, dmin, d2[b], ref m2, a2);
            if (TCount.Count > 3) a3 = Finish512(i3, MinSum512(m01, m23, m45, m67, s3 + so), d, dmin, d3[b], ref m3, a3);
        }
        (a0 + m0).Store(result);
        if (TCount.Count > 1) (a1 + m1).Store(result + 16);
        if (TCount.Count > 2) (a2 + m2).Store(result + 32);
        if (TCount.Count > 3) (a3 + m3).Store(result + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<byte> Low, Vector256<byte> High) HighBits256(Vector256<ushort> words, int c)
    {
        var sixteen = Vector256.Create((byte)16);
        var (low, high) = c switch
        {
            0 => (Vector256.ShiftLeft(words, 4), Vector256.ShiftLeft(words, 3)),
            1 => (Vector256.ShiftLeft(words, 2), Vector256.ShiftLeft(words, 1)),
            2 => (words, Vector256.ShiftRightLogical(words, 1)),
            _ => (Vector256.ShiftRightLogical(words, 2), Vector256.ShiftRightLogical(words, 3)),
        };
        return (low.AsByte() & sixteen, high.AsByte() & sixteen);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector128<byte> Low, Vector128<byte> High) HighBits128(Vector128<ushort> words, int c)
    {
        var sixteen = Vector128.Create((byte)16);
        var (low, high) = c switch
        {
            0 => (Vector128.ShiftLeft(words, 4), Vector128.ShiftLeft(words, 3)),
            1 => (Vector128.ShiftLeft(words, 2), Vector128.ShiftLeft(words, 1)),
            2 => (words, Vector128.ShiftRightLogical(words, 1)),
            _ => (Vector128.ShiftRightLogical(words, 2), Vector128.ShiftRightLogical(words, 3)),
        };
        return (low.AsByte() & sixteen, high.AsByte() & sixteen);
    }

    // ---------------------------------------------------------------- 256 bits: 8 rows (one half of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<sbyte> Broadcast256(sbyte* x) => Vector256.Create(*(int*)x).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> MinSum256(Vector256<short> m01, Vector256<short> m23, Vector256<short> m45, Vector256<short> m67, short* sums) =>
        Int8Dot.MultiplyAdd(m01, Vector256.Create(*(int*)sums).AsInt16()) + Int8Dot.MultiplyAdd(m23, Vector256.Create(*(int*)(sums + 2)).AsInt16())
        + Int8Dot.MultiplyAdd(m45, Vector256.Create(*(int*)(sums + 4)).AsInt16()) + Int8Dot.MultiplyAdd(m67, Vector256.Create(*(int*)(sums + 6)).AsInt16());

    /// <summary>Eight rows (one half of the tile) against one or two tokens: the same steps as
    /// <see cref="Kernel512{TCount}"/> (two tokens at most: AVX2 has sixteen vector registers).</summary>
    static void Kernel256<TCount>(byte* tile, int blocks, int half, QuantizedActivations x, int t, float* result)
        where TCount : struct, ITokenCount
    {
        int n = TCount.Count;
        sbyte* q0 = x.QuantRow(t), q1 = x.QuantRow(t + n - 1);
        float* d0 = x.ScaleRow(t), d1 = x.ScaleRow(t + n - 1);
        short* s0 = x.SubBlockSumRow(t), s1 = x.SubBlockSumRow(t + n - 1);
        var low = Vector256.Create((byte)0x0F);
        var six = Vector256.Create(0x3F3F3F3Fu);
        var four = Vector256.Create(0x0F0F0F0Fu);
        var top = Vector256.Create(0x30303030u);
        byte* qhCopy = stackalloc byte[8 * 32];
        Vector256<float> a0 = default, a1 = default, m0 = default, m1 = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* header = tile + (long)b * TFormat.BlockBytes;
            byte* nibbles = header + TFormat.NibblesOffset + 32 * half;
            var u0 = Vector256.Load((uint*)(header + 64 + 32 * half));
            var u1 = Vector256.Load((uint*)(header + 128 + 32 * half));
            var u2 = Vector256.Load((uint*)(header + 192 + 32 * half));
            var scaleLow = u0 & six;
            var scaleHigh = (u2 & four) | ((u0 >> 2) & top);
            var minLow = u1 & six;
            var minHigh = ((u2 >> 4) & four) | ((u1 >> 2) & top);
            if (TFormat.HasHighBit)
                for (int g = 0; g < 8; g++) Vector256.Load(header + HighBitsOffset + 64 * g + 32 * half).Store(qhCopy + 32 * g);
            Vector256<int> i0 = default, i1 = default;
            for (int c = 0; c < 4; c++)
            {
                int xo = 256 * b + 64 * c;
                var scales = (c < 2 ? scaleLow : scaleHigh).AsByte();
                var scaleLo = Avx2.Shuffle(scales, ScalePair256[(2 * c) & 3]).AsInt16();
                var scaleHi = Avx2.Shuffle(scales, ScalePair256[(2 * c + 1) & 3]).AsInt16();
                for (int first = 0; first < 8; first += TFormat.RegistersPerSum)
                {
                    Vector256<short> l0 = default, h0 = default, l1 = default, h1 = default;
                    for (int g = first; g < first + TFormat.RegistersPerSum; g++)
                    {
                        var packed = Vector256.Load(nibbles + 64 * (8 * c + g));
                        var lo = packed & low;
                        var hi = Vector256.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
                        if (TFormat.HasHighBit)
                        {
                            var (loBit, hiBit) = HighBits256(Vector256.Load(qhCopy + 32 * g).AsUInt16(), c);
                            lo |= loBit;
                            hi |= hiBit;
                        }
                        int at = xo + 4 * g;
                        l0 += Int8Dot.Pairs(lo, Broadcast256(q0 + at));
                        h0 += Int8Dot.Pairs(hi, Broadcast256(q0 + at + 32));
                        if (TCount.Count > 1) { l1 += Int8Dot.Pairs(lo, Broadcast256(q1 + at)); h1 += Int8Dot.Pairs(hi, Broadcast256(q1 + at + 32)); }
                    }
                    i0 += Int8Dot.MultiplyAdd(l0, scaleLo) + Int8Dot.MultiplyAdd(h0, scaleHi);
                    if (TCount.Count > 1) i1 += Int8Dot.MultiplyAdd(l1, scaleLo) + Int8Dot.MultiplyAdd(h1, scaleHi);
                }
            }
            var m01 = Avx2.Shuffle(minLow.AsByte(), MinPair256[0]).AsInt16();
            var m23 = Avx2.Shuffle(minLow.AsByte(), MinPair256[1]).AsInt16();
            var m45 = Avx2.Shuffle(minHigh.AsByte(), MinPair256[0]).AsInt16();
            var m67 = Avx2.Shuffle(minHigh.AsByte(), MinPair256[1]).AsInt16();
            var d = WeightDecoder.HalfToSingle(Vector128.Load((ushort*)header + 8 * half));
            var dmin = WeightDecoder.HalfToSingle(Vector128.Load((ushort*)(header + 32) + 8 * half));
            int so = 8 * b;
            var dx0 = Vector256.Create(d0[b]);
            m0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(MinSum256(m01, m23, m45, m67, s0 + so)), -(dmin * dx0), m0);
            a0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i0), d * dx0, a0);
            if (TCount.Count > 1)
            {
                var dx1 = Vector256.Create(d1[b]);
                m1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(MinSum256(m01, m23, m45, m67, s1 + so)), -(dmin * dx1), m1);
                a1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(i1), d * dx1, a1);
            }
        }
        (a0 + m0).Store(result);
        if (TCount.Count > 1) (a1 + m1).Store(result + 16);
    }

    // ---------------------------------------------------------------- 128 bits: 4 rows (one quarter of the tile)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Halves4(byte* at) =>
        WeightDecoder.HalfToSingle(Vector128.CreateScalar(*(ulong*)at).AsUInt16()).GetLower();

    static void Kernel128(byte* tile, int blocks, int quarter, QuantizedActivations x, int t, float* result)
    {
        sbyte* xq = x.QuantRow(t);
        float* xd = x.ScaleRow(t);
        short* sums = x.SubBlockSumRow(t);
        var low = Vector128.Create((byte)0x0F);
        var six = Vector128.Create(0x3F3F3F3Fu);
        var four = Vector128.Create(0x0F0F0F0Fu);
        var top = Vector128.Create(0x30303030u);
        Vector128<float> acc = default, min = default;
        for (int b = 0; b < blocks; b++)
        {
            byte* header = tile + (long)b * TFormat.BlockBytes;
            byte* nibbles = header + TFormat.NibblesOffset + 16 * quarter;
            var u0 = Vector128.Load((uint*)(header + 64 + 16 * quarter));
            var u1 = Vector128.Load((uint*)(header + 128 + 16 * quarter));
            var u2 = Vector128.Load((uint*)(header + 192 + 16 * quarter));
            var scaleLow = u0 & six;
            var scaleHigh = (u2 & four) | ((u0 >> 2) & top);
            var minLow = u1 & six;
            var minHigh = ((u2 >> 4) & four) | ((u1 >> 2) & top);
            Vector128<int> sum = default;
            for (int c = 0; c < 4; c++)
            {
                sbyte* xc = xq + 256 * b + 64 * c;
                var scales = (c < 2 ? scaleLow : scaleHigh).AsByte();
                var scaleLo = Vector128.Shuffle(scales, ScalePair128[(2 * c) & 3]).AsInt16();
                var scaleHi = Vector128.Shuffle(scales, ScalePair128[(2 * c + 1) & 3]).AsInt16();
                for (int first = 0; first < 8; first += TFormat.RegistersPerSum)
                {
                    Vector128<short> lo16 = default, hi16 = default;
                    for (int g = first; g < first + TFormat.RegistersPerSum; g++)
                    {
                        var packed = Vector128.Load(nibbles + 64 * (8 * c + g));
                        var lo = packed & low;
                        var hi = Vector128.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
                        if (TFormat.HasHighBit)
                        {
                            var qh = Vector128.Load(header + HighBitsOffset + 64 * g + 16 * quarter).AsUInt16();
                            var (loBit, hiBit) = HighBits128(qh, c);
                            lo |= loBit;
                            hi |= hiBit;
                        }
                        lo16 += Int8Dot.Pairs(lo, Vector128.Create(*(int*)(xc + 4 * g)).AsSByte());
                        hi16 += Int8Dot.Pairs(hi, Vector128.Create(*(int*)(xc + 32 + 4 * g)).AsSByte());
                    }
                    sum += Int8Dot.MultiplyAdd(lo16, scaleLo) + Int8Dot.MultiplyAdd(hi16, scaleHi);
                }
            }
            short* s = sums + 8 * b;
            var pick0 = MinPair128[0];
            var pick1 = MinPair128[1];
            var minSum = Int8Dot.MultiplyAdd(Vector128.Shuffle(minLow.AsByte(), pick0).AsInt16(), Vector128.Create(*(int*)s).AsInt16())
                + Int8Dot.MultiplyAdd(Vector128.Shuffle(minLow.AsByte(), pick1).AsInt16(), Vector128.Create(*(int*)(s + 2)).AsInt16())
                + Int8Dot.MultiplyAdd(Vector128.Shuffle(minHigh.AsByte(), pick0).AsInt16(), Vector128.Create(*(int*)(s + 4)).AsInt16())
                + Int8Dot.MultiplyAdd(Vector128.Shuffle(minHigh.AsByte(), pick1).AsInt16(), Vector128.Create(*(int*)(s + 6)).AsInt16());
            var d = Halves4(header + 8 * quarter);
            var dmin = Halves4(header + 32 + 8 * quarter);
            var dx = Vector128.Create(xd[b]);
            min = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(minSum), -(dmin * dx), min);
            acc = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(sum), d * dx, acc);
        }
        (acc + min).Store(result);
    }
}
