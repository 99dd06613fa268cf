using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>How a decoded k-quant row relates to its values.</summary>
internal interface IKQuantFormat
{
    /// <summary>Value = byte − Offset (Q3_K: 4).</summary>
    static abstract short Offset { get; }
    /// <summary>Value = d·scale·q − dmin·min (Q2_K).</summary>
    static abstract bool HasMin { get; }
}

internal struct KWithMinFormat : IKQuantFormat { public static short Offset => 0; public static bool HasMin => true; }
internal struct Q3_KFormat : IKQuantFormat { public static short Offset => 4; public static bool HasMin => false; }

/// <summary>
/// Dot products of decoded k-quant rows (Q2_K, Q3_K; the others use row tiles) with Q8_K activations. Per 256-value block every
/// width computes the same sixteen exact int32 lanes Σ scale·q·x (lane i of each 64-value chunk: values
/// 4i..4i+3, chunks added), subtracts offset·Σ scale·bsum from lanes 0-7 (pairs of groups), converts to
/// float and accumulates lane += lane_int · (d · activation d). The minimum, −dmin·d_x·Σ min·bsum, goes to
/// eight separate lanes (pairs of groups). Result: <see cref="LaneSum.Of16(Vector512{float})"/> of the
/// first plus <see cref="LaneSum.Of8(Vector256{float})"/> of the second.
/// </summary>
internal static unsafe class KQuantKernels
{
    public static void Dot<TFormat>(DecodedRows w, int rows, QuantizedActivations x, int token, float* y)
        where TFormat : struct, IKQuantFormat
    {
        if (KernelOptions.Use512)
        {
            int r = 0;
            for (; r + 4 <= rows; r += 4) Dot4Rows512<TFormat>(w, r, x, token, y + r);
            for (; r < rows; r++) y[r] = Dot1Row512<TFormat>(w, r, x, token);
        }
        else if (KernelOptions.Use256)
        {
            for (int r = 0; r < rows; r++) y[r] = Dot256<TFormat>(w, r, x, token);
        }
        else
        {
            for (int r = 0; r < rows; r++) y[r] = Dot128<TFormat>(w, r, x, token);
        }
    }

    /// <summary>Σ over pairs of groups of a·b, as eight int32 lanes (lane i: groups 2i and 2i+1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> GroupPairs(short* a, short* b)
    {
        if (Avx2.IsSupported) return Avx2.MultiplyAddAdjacent(Vector256.Load(a), Vector256.Load(b));
        return Vector256.Create(GroupPairs128(a, b), GroupPairs128(a + 8, b + 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<int> GroupPairs128(short* a, short* b)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(Vector128.Load(a), Vector128.Load(b));
        return Vector128.Create(a[0] * b[0] + a[1] * b[1], a[2] * b[2] + a[3] * b[3],
            a[4] * b[4] + a[5] * b[5], a[6] * b[6] + a[7] * b[7]);
    }

    /// <summary>Block contribution shared by every width: the corrected integer lanes of the first eight
    /// (the offset correction) and the min lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> OffsetCorrection<TFormat>(DecodedRows w, int row, int block, short* bsums)
        where TFormat : struct, IKQuantFormat =>
        TFormat.Offset == 0 ? Vector256<int>.Zero
            : GroupPairs(w.GroupScales(row) + 16 * block, bsums) * TFormat.Offset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> MinStep<TFormat>(DecodedRows w, int row, int block, short* bsums, float dx, Vector256<float> acc)
        where TFormat : struct, IKQuantFormat
    {
        if (!TFormat.HasMin) return acc;
        var pairs = Vector256.ConvertToSingle(GroupPairs(w.GroupMins(row) + 16 * block, bsums));
        float scale = -(w.SuperScales(row)[2 * block + 1] * dx);
        return Vector256.FusedMultiplyAdd(pairs, Vector256.Create(scale), acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> BlockStep512<TFormat>(DecodedRows w, int row, int block, Vector512<int> lanes, short* bsums, float dx, Vector512<float> acc)
        where TFormat : struct, IKQuantFormat
    {
        if (TFormat.Offset != 0)
            lanes -= Vector512.Create(OffsetCorrection<TFormat>(w, row, block, bsums), Vector256<int>.Zero);
        float scale = w.SuperScales(row)[2 * block] * dx;
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(lanes), Vector512.Create(scale), acc);
    }

    static void Dot4Rows512<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token, float* y)
        where TFormat : struct, IKQuantFormat
    {
        byte* q0 = w.Values(row), q1 = w.Values(row + 1), q2 = w.Values(row + 2), q3 = w.Values(row + 3);
        short* l0 = w.KScaleLanes(row), l1 = w.KScaleLanes(row + 1), l2 = w.KScaleLanes(row + 2), l3 = w.KScaleLanes(row + 3);
        sbyte* xq = x.QuantRow(token);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        Vector256<float> min0 = default, min1 = default, min2 = default, min3 = default;
        for (int b = 0; b < w.Blocks; b++)
        {
            Vector512<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int c = 0; c < 4; c++)
            {
                int offset = 256 * b + 64 * c;
                int lane = 32 * (4 * b + c);
                var xv = Vector512.Load(xq + offset);
                i0 += Int8Dot.Quads(Vector512.Load(q0 + offset), xv, Vector512.Load(l0 + lane));
                i1 += Int8Dot.Quads(Vector512.Load(q1 + offset), xv, Vector512.Load(l1 + lane));
                i2 += Int8Dot.Quads(Vector512.Load(q2 + offset), xv, Vector512.Load(l2 + lane));
                i3 += Int8Dot.Quads(Vector512.Load(q3 + offset), xv, Vector512.Load(l3 + lane));
            }
            short* bsums = x.BlockSumRow(token) + 16 * b;
            float dx = x.ScaleRow(token)[b];
            acc0 = BlockStep512<TFormat>(w, row, b, i0, bsums, dx, acc0);
            acc1 = BlockStep512<TFormat>(w, row + 1, b, i1, bsums, dx, acc1);
            acc2 = BlockStep512<TFormat>(w, row + 2, b, i2, bsums, dx, acc2);
            acc3 = BlockStep512<TFormat>(w, row + 3, b, i3, bsums, dx, acc3);
            min0 = MinStep<TFormat>(w, row, b, bsums, dx, min0);
            min1 = MinStep<TFormat>(w, row + 1, b, bsums, dx, min1);
            min2 = MinStep<TFormat>(w, row + 2, b, bsums, dx, min2);
            min3 = MinStep<TFormat>(w, row + 3, b, bsums, dx, min3);
        }
        y[0] = LaneSum.Of16(acc0) + LaneSum.Of8(min0);
        y[1] = LaneSum.Of16(acc1) + LaneSum.Of8(min1);
        y[2] = LaneSum.Of16(acc2) + LaneSum.Of8(min2);
        y[3] = LaneSum.Of16(acc3) + LaneSum.Of8(min3);
    }

    static float Dot1Row512<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IKQuantFormat
    {
        byte* q = w.Values(row);
        short* l = w.KScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        Vector512<float> acc = default;
        Vector256<float> min = default;
        for (int b = 0; b < w.Blocks; b++)
        {
            Vector512<int> lanes = default;
            for (int c = 0; c < 4; c++)
            {
                int offset = 256 * b + 64 * c;
                lanes += Int8Dot.Quads(Vector512.Load(q + offset), Vector512.Load(xq + offset), Vector512.Load(l + 32 * (4 * b + c)));
            }
            short* bsums = x.BlockSumRow(token) + 16 * b;
            float dx = x.ScaleRow(token)[b];
            acc = BlockStep512<TFormat>(w, row, b, lanes, bsums, dx, acc);
            min = MinStep<TFormat>(w, row, b, bsums, dx, min);
        }
        return LaneSum.Of16(acc) + LaneSum.Of8(min);
    }

    static float Dot256<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IKQuantFormat
    {
        byte* q = w.Values(row);
        short* l = w.KScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        Vector256<float> accLow = default, accHigh = default, min = default;
        for (int b = 0; b < w.Blocks; b++)
        {
            Vector256<int> low = default, high = default;
            for (int c = 0; c < 4; c++)
            {
                int offset = 256 * b + 64 * c;
                int lane = 32 * (4 * b + c);
                low += Int8Dot.Quads(Vector256.Load(q + offset), Vector256.Load(xq + offset), Vector256.Load(l + lane));
                high += Int8Dot.Quads(Vector256.Load(q + offset + 32), Vector256.Load(xq + offset + 32), Vector256.Load(l + lane + 16));
            }
            short* bsums = x.BlockSumRow(token) + 16 * b;
            float dx = x.ScaleRow(token)[b];
            if (TFormat.Offset != 0) low -= OffsetCorrection<TFormat>(w, row, b, bsums);
            var scale = Vector256.Create(w.SuperScales(row)[2 * b] * dx);
            accLow = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(low), scale, accLow);
            accHigh = Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(high), scale, accHigh);
            min = MinStep<TFormat>(w, row, b, bsums, dx, min);
        }
        return LaneSum.Of16(accLow, accHigh) + LaneSum.Of8(min);
    }

    static float Dot128<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IKQuantFormat
    {
        byte* q = w.Values(row);
        short* l = w.KScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        Vector128<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default, minLow = default, minHigh = default;
        for (int b = 0; b < w.Blocks; b++)
        {
            Vector128<int> i0 = default, i1 = default, i2 = default, i3 = default;
            for (int c = 0; c < 4; c++)
            {
                int offset = 256 * b + 64 * c;
                int lane = 32 * (4 * b + c);
                i0 += Int8Dot.Quads(Vector128.Load(q + offset), Vector128.Load(xq + offset), Vector128.Load(l + lane));
                i1 += Int8Dot.Quads(Vector128.Load(q + offset + 16), Vector128.Load(xq + offset + 16), Vector128.Load(l + lane + 8));
                i2 += Int8Dot.Quads(Vector128.Load(q + offset + 32), Vector128.Load(xq + offset + 32), Vector128.Load(l + lane + 16));
                i3 += Int8Dot.Quads(Vector128.Load(q + offset + 48), Vector128.Load(xq + offset + 48), Vector128.Load(l + lane + 24));
            }
            short* bsums = x.BlockSumRow(token) + 16 * b;
            float dx = x.ScaleRow(token)[b];
            if (TFormat.Offset != 0)
            {
                short* scales = w.GroupScales(row) + 16 * b;
                i0 -= GroupPairs128(scales, bsums) * TFormat.Offset;
                i1 -= GroupPairs128(scales + 8, bsums + 8) * TFormat.Offset;
            }
            var scale = Vector128.Create(w.SuperScales(row)[2 * b] * dx);
            acc0 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(i0), scale, acc0);
            acc1 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(i1), scale, acc1);
            acc2 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(i2), scale, acc2);
            acc3 = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(i3), scale, acc3);
            if (TFormat.HasMin)
            {
                short* mins = w.GroupMins(row) + 16 * b;
                var minScale = Vector128.Create(-(w.SuperScales(row)[2 * b + 1] * dx));
                minLow = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(GroupPairs128(mins, bsums)), minScale, minLow);
                minHigh = Vector128.FusedMultiplyAdd(Vector128.ConvertToSingle(GroupPairs128(mins + 8, bsums + 8)), minScale, minHigh);
            }
        }
        return LaneSum.Of16(acc0, acc1, acc2, acc3) + LaneSum.Of8(minLow, minHigh);
    }
}
