using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// F16 and BF16 matrix products on the 512-bit path, reading the weights in pair order
/// (<see cref="HalfPairRows"/>).
/// Per output the steps are those of <see cref="FloatKernels"/>: lane i of one accumulator sums values 32k+i,
/// lane i of another values 32k+16+i (fused multiply-adds, in order of k); a last group of sixteen goes to the
/// first; then the two are added, <see cref="LaneSum.Of16(Vector512{float})"/> sums the lanes and the
/// columns past the last whole 16 are added one by one into a separate sum. So every kernel here, for any
/// number of rows or tokens at once, gives the row-order kernels' results bit for bit.
/// <list type="bullet">
/// <item>One token (decode): a group of four rows at a time (one stream) shares each activation load. For F16
/// the activations are scaled by 2^112 (<see cref="HalfPairRows.Rebias"/>) in the register instead of each
/// row's weights: the product is the same real number, so the fused multiply-add rounds it the same way (an
/// f16-rounded activation times 2^112 stays finite).</item>
/// <item>Several tokens (prefill): tiles of two rows by four tokens, sixteen accumulators: each weight
/// register is converted once and used for four tokens; F16 activations come rebiased
/// (<see cref="RebiasedActivations"/>), so the loop is shifts, masks and fused multiply-adds only.</item>
/// </list>
/// </summary>
internal static unsafe class HalfPairKernels
{
    const int TileRows = 2;
    public const int TileTokens = 4;

    /// <summary>Rows [<paramref name="firstRow"/>, +<paramref name="rowCount"/>) times every token of
    /// <paramref name="x"/>; output t of row r goes to y[t * <paramref name="yStride"/> + r].
    /// <paramref name="firstRow"/> starts a group of four rows. <paramref name="rebiased"/>: for F16, the
    /// activations times 2^112 (<see cref="RebiasedActivations"/>, same stride) when there are
    /// <see cref="TileTokens"/> or more.</summary>
    public static void Multiply(HalfPairRows w, int firstRow, int rowCount, QuantizedActivations x, float* rebiased, int tokens, float* y, long yStride)
    {
        if (w.Type == GgmlType.F16) Multiply<F16Pairs>(w, firstRow, rowCount, x, rebiased, tokens, y, yStride);
        else Multiply<BF16Pairs>(w, firstRow, rowCount, x, x.FloatRow(0), tokens, y, yStride);
    }

    /// <param name="tileX">The activations the tiles multiply with: rebiased ones where the format is
    /// <see cref="IHalfPairFormat.Rebiased"/>.</param>
    static void Multiply<TFormat>(HalfPairRows w, int firstRow, int rowCount, QuantizedActivations x, float* tileX, int tokens, float* y, long yStride)
        where TFormat : struct, IHalfPairFormat
    {
        int end = firstRow + rowCount;
        int t = 0;
        for (; t + TileTokens <= tokens; t += TileTokens)
        {
            int r = firstRow;
            for (; r + TileRows <= end; r += TileRows) Tile2x4<TFormat>(w, r, x.FloatRow(t), tileX + t * x.Stride, x.Stride, y + t * yStride + r, yStride);
            for (; r < end; r++)
                for (int k = 0; k < TileTokens; k++) y[(t + k) * yStride + r] = Row1<TFormat>(w, r, x.FloatRow(t + k));
        }
        for (; t < tokens; t++)
        {
            float* xt = x.FloatRow(t);
            float* yt = y + t * yStride;
            int r = firstRow;
            for (; r + HalfPairRows.GroupRows <= end; r += HalfPairRows.GroupRows) Rows4<TFormat>(w, r, xt, yt + r);
            for (; r < end; r++) yt[r] = Row1<TFormat>(w, r, xt);
        }
    }

    /// <summary>A whole group of four rows times one token.</summary>
    static void Rows4<TFormat>(HalfPairRows w, int row, float* x, float* y) where TFormat : struct, IHalfPairFormat
    {
        byte* p = w.Pairs(row);
        int groups = w.PairGroups;
        var keep = TFormat.Mask;
        var rebias = Vector512.Create(HalfPairRows.Rebias);
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default;
        for (int g = 0; g < groups; g++, p += 256)
        {
            var xl = Vector512.Load(x + 32 * g);
            var xh = Vector512.Load(x + 32 * g + 16);
            if (TFormat.Rebiased)
            {
                xl *= rebias;
                xh *= rebias;
            }
            var v0 = Vector512.Load((int*)p);
            var v1 = Vector512.Load((int*)(p + 64));
            var v2 = Vector512.Load((int*)(p + 128));
            var v3 = Vector512.Load((int*)(p + 192));
            l0 = Vector512.FusedMultiplyAdd(TFormat.Low(v0, keep), xl, l0);
            h0 = Vector512.FusedMultiplyAdd(TFormat.High(v0, keep), xh, h0);
            l1 = Vector512.FusedMultiplyAdd(TFormat.Low(v1, keep), xl, l1);
            h1 = Vector512.FusedMultiplyAdd(TFormat.High(v1, keep), xh, h1);
            l2 = Vector512.FusedMultiplyAdd(TFormat.Low(v2, keep), xl, l2);
            h2 = Vector512.FusedMultiplyAdd(TFormat.High(v2, keep), xh, h2);
            l3 = Vector512.FusedMultiplyAdd(TFormat.Low(v3, keep), xl, l3);
            h3 = Vector512.FusedMultiplyAdd(TFormat.High(v3, keep), xh, h3);
        }
        float* xTail = x + 32 * groups;
        int tailColumns = w.TailColumns;
        byte* t0 = w.Tail(row), t1 = w.Tail(row + 1), t2 = w.Tail(row + 2), t3 = w.Tail(row + 3);
        if (tailColumns >= 16)
        {
            // A last group of sixteen, in row order: the exact conversion, activations as they are.
            var xl = Vector512.Load(xTail);
            l0 = Vector512.FusedMultiplyAdd(TFormat.RowOrder16(t0), xl, l0);
            l1 = Vector512.FusedMultiplyAdd(TFormat.RowOrder16(t1), xl, l1);
            l2 = Vector512.FusedMultiplyAdd(TFormat.RowOrder16(t2), xl, l2);
            l3 = Vector512.FusedMultiplyAdd(TFormat.RowOrder16(t3), xl, l3);
        }
        float s0 = LaneSum.Of16(l0 + h0), s1 = LaneSum.Of16(l1 + h1), s2 = LaneSum.Of16(l2 + h2), s3 = LaneSum.Of16(l3 + h3);
        int from = tailColumns & 16;
        y[0] = s0 + TailSum<TFormat>(t0, xTail, from, tailColumns);
        y[1] = s1 + TailSum<TFormat>(t1, xTail, from, tailColumns);
        y[2] = s2 + TailSum<TFormat>(t2, xTail, from, tailColumns);
        y[3] = s3 + TailSum<TFormat>(t3, xTail, from, tailColumns);
    }

    /// <summary>One row times one token.</summary>
    static float Row1<TFormat>(HalfPairRows w, int row, float* x) where TFormat : struct, IHalfPairFormat
    {
        byte* p = w.Pairs(row);
        long stride = w.PairStride(row);
        int groups = w.PairGroups;
        var keep = TFormat.Mask;
        var rebias = Vector512.Create(HalfPairRows.Rebias);
        Vector512<float> low = default, high = default;
        for (int g = 0; g < groups; g++, p += stride)
        {
            var v = Vector512.Load((int*)p);
            var xl = Vector512.Load(x + 32 * g);
            var xh = Vector512.Load(x + 32 * g + 16);
            if (TFormat.Rebiased)
            {
                xl *= rebias;
                xh *= rebias;
            }
            low = Vector512.FusedMultiplyAdd(TFormat.Low(v, keep), xl, low);
            high = Vector512.FusedMultiplyAdd(TFormat.High(v, keep), xh, high);
        }
        float* xTail = x + 32 * groups;
        int tailColumns = w.TailColumns;
        byte* tail = w.Tail(row);
        if (tailColumns >= 16) low = Vector512.FusedMultiplyAdd(TFormat.RowOrder16(tail), Vector512.Load(xTail), low);
        float lanes = LaneSum.Of16(low + high);
        return lanes + TailSum<TFormat>(tail, xTail, tailColumns & 16, tailColumns);
    }

    /// <summary>Two rows of one group of four times four tokens (token k's activations at
    /// x + k * <paramref name="xStride"/>, rebiased at <paramref name="rebiased"/> + k * <paramref name="xStride"/>,
    /// its outputs at y + k * <paramref name="yStride"/>).</summary>
    static void Tile2x4<TFormat>(HalfPairRows w, int row, float* x, float* rebiased, long xStride, float* y, long yStride)
        where TFormat : struct, IHalfPairFormat
    {
        byte* p = w.Pairs(row);
        long stride = w.PairStride(row);
        int groups = w.PairGroups;
        float* x0 = x, x1 = x + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        float* z0 = rebiased, z1 = z0 + xStride, z2 = z1 + xStride, z3 = z2 + xStride;
        var keep = TFormat.Mask;
        // a{row}{token}: l = values 32k+i, h = values 32k+16+i.
        Vector512<float> a00l = default, a00h = default, a01l = default, a01h = default;
        Vector512<float> a02l = default, a02h = default, a03l = default, a03h = default;
        Vector512<float> a10l = default, a10h = default, a11l = default, a11h = default;
        Vector512<float> a12l = default, a12h = default, a13l = default, a13h = default;
        for (int g = 0; g < groups; g++, p += stride)
        {
            int i = 32 * g;
            var v0 = Vector512.Load((int*)p);
            var v1 = Vector512.Load((int*)(p + 64));
            var r0l = TFormat.Low(v0, keep);
            var r0h = TFormat.High(v0, keep);
            var r1l = TFormat.Low(v1, keep);
            var r1h = TFormat.High(v1, keep);

            var xl = Vector512.Load(z0 + i);
            var xh = Vector512.Load(z0 + i + 16);
            a00l = Vector512.FusedMultiplyAdd(r0l, xl, a00l);
            a00h = Vector512.FusedMultiplyAdd(r0h, xh, a00h);
            a10l = Vector512.FusedMultiplyAdd(r1l, xl, a10l);
            a10h = Vector512.FusedMultiplyAdd(r1h, xh, a10h);

            xl = Vector512.Load(z1 + i);
            xh = Vector512.Load(z1 + i + 16);
            a01l = Vector512.FusedMultiplyAdd(r0l, xl, a01l);
            a01h = Vector512.FusedMultiplyAdd(r0h, xh, a01h);
            a11l = Vector512.FusedMultiplyAdd(r1l, xl, a11l);
            a11h = Vector512.FusedMultiplyAdd(r1h, xh, a11h);

            xl = Vector512.Load(z2 + i);
            xh = Vector512.Load(z2 + i + 16);
            a02l = Vector512.FusedMultiplyAdd(r0l, xl, a02l);
            a02h = Vector512.FusedMultiplyAdd(r0h, xh, a02h);
            a12l = Vector512.FusedMultiplyAdd(r1l, xl, a12l);
            a12h = Vector512.FusedMultiplyAdd(r1h, xh, a12h);

            xl = Vector512.Load(z3 + i);
            xh = Vector512.Load(z3 + i + 16);
            a03l = Vector512.FusedMultiplyAdd(r0l, xl, a03l);
            a03h = Vector512.FusedMultiplyAdd(r0h, xh, a03h);
            a13l = Vector512.FusedMultiplyAdd(r1l, xl, a13l);
            a13h = Vector512.FusedMultiplyAdd(r1h, xh, a13h);
        }
        int pairs = 32 * groups, tailColumns = w.TailColumns;
        byte* t0 = w.Tail(row), t1 = w.Tail(row + 1);
        if (tailColumns >= 16)
        {
            var r0 = TFormat.RowOrder16(t0);
            var r1 = TFormat.RowOrder16(t1);
            var xv = Vector512.Load(x0 + pairs);
            a00l = Vector512.FusedMultiplyAdd(r0, xv, a00l);
            a10l = Vector512.FusedMultiplyAdd(r1, xv, a10l);
            xv = Vector512.Load(x1 + pairs);
            a01l = Vector512.FusedMultiplyAdd(r0, xv, a01l);
            a11l = Vector512.FusedMultiplyAdd(r1, xv, a11l);
            xv = Vector512.Load(x2 + pairs);
            a02l = Vector512.FusedMultiplyAdd(r0, xv, a02l);
            a12l = Vector512.FusedMultiplyAdd(r1, xv, a12l);
            xv = Vector512.Load(x3 + pairs);
            a03l = Vector512.FusedMultiplyAdd(r0, xv, a03l);
            a13l = Vector512.FusedMultiplyAdd(r1, xv, a13l);
        }
        float s00 = LaneSum.Of16(a00l + a00h), s01 = LaneSum.Of16(a01l + a01h);
        float s02 = LaneSum.Of16(a02l + a02h), s03 = LaneSum.Of16(a03l + a03h);
        float s10 = LaneSum.Of16(a10l + a10h), s11 = LaneSum.Of16(a11l + a11h);
        float s12 = LaneSum.Of16(a12l + a12h), s13 = LaneSum.Of16(a13l + a13h);
        int from = tailColumns & 16;
        s00 += TailSum<TFormat>(t0, x0 + pairs, from, tailColumns); s01 += TailSum<TFormat>(t0, x1 + pairs, from, tailColumns);
        s02 += TailSum<TFormat>(t0, x2 + pairs, from, tailColumns); s03 += TailSum<TFormat>(t0, x3 + pairs, from, tailColumns);
        s10 += TailSum<TFormat>(t1, x0 + pairs, from, tailColumns); s11 += TailSum<TFormat>(t1, x1 + pairs, from, tailColumns);
        s12 += TailSum<TFormat>(t1, x2 + pairs, from, tailColumns); s13 += TailSum<TFormat>(t1, x3 + pairs, from, tailColumns);
        y[0] = s00; y[yStride] = s01; y[2 * yStride] = s02; y[3 * yStride] = s03;
        y[1] = s10; y[yStride + 1] = s11; y[2 * yStride + 1] = s12; y[3 * yStride + 1] = s13;
    }

    /// <summary>Row-order columns [<paramref name="from"/>, <paramref name="to"/>) of a row's tail, one by one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static float TailSum<TFormat>(byte* tail, float* x, int from, int to) where TFormat : struct, IHalfPairFormat
    {
        float sum = 0;
        for (int i = from; i < to; i++) sum += TFormat.Load1(tail + 2L * i) * x[i];
        return sum;
    }
}
