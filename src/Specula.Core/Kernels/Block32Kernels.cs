using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>How a 32-value block type's decoded bytes relate to its values.</summary>
internal interface IBlock32Format
{
    /// <summary>Value = byte − Offset (Q5_0: 16).</summary>
    static abstract byte Offset { get; }
    /// <summary>Value = d·q + m (Q4_1, Q5_1): adds Σ m·s over the blocks.</summary>
    static abstract bool HasMin { get; }
}

internal struct Q5_0Format : IBlock32Format { public static byte Offset => 16; public static bool HasMin => false; }
internal struct MinFormat : IBlock32Format { public static byte Offset => 0; public static bool HasMin => true; }

/// <summary>
/// Dot products of decoded 32-value block rows (Q4_1, Q5_0, Q5_1) with Q8_0/Q8_1 activations (Q4_0 and Q8_0
/// use <see cref="TileKernels"/>).
/// Per 64-value chunk (two blocks) every width computes the same sixteen exact int32 lanes (lane i: values
/// 4i..4i+3, minus the offset times their activation sum), converts them to float and accumulates
/// lane += lane_int · (weight scale · activation scale) with one fused multiply-add; then
/// <see cref="LaneSum.Of16(Vector512{float})"/>, plus Σ m·s for the types with a minimum.
/// </summary>
internal static unsafe class Block32Kernels
{
    public static void Dot<TFormat>(DecodedRows w, int rows, QuantizedActivations x, int token, float* y)
        where TFormat : struct, IBlock32Format
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float MinTerm<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IBlock32Format
    {
        if (!TFormat.HasMin) return 0f;
        float* mins = w.Mins(row);
        float* sums = x.SumRow(token);
        float total = 0;
        for (int b = 0; b < w.Blocks; b++) total += mins[b] * sums[b];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Step512<TFormat>(byte* wq, float* wScale, Vector512<sbyte> xv,
        Vector512<int> correction, Vector512<float> xScale, Vector512<float> acc)
        where TFormat : struct, IBlock32Format
    {
        var lanes = Int8Dot.Quads(Vector512.Load(wq), xv, Vector512.Create((short)1));
        if (TFormat.Offset != 0) lanes -= correction;
        var scale = Vector512.Load(wScale) * xScale;
        return Vector512.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(lanes), scale, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<int> Correction512<TFormat>(Vector512<sbyte> xv) where TFormat : struct, IBlock32Format =>
        TFormat.Offset == 0 ? Vector512<int>.Zero
            : Int8Dot.Quads(Vector512.Create(TFormat.Offset), xv, Vector512.Create((short)1));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> ActivationScales512(float* scaleLanes, int chunk) => Vector512.Load(scaleLanes + 16 * chunk);

    static void Dot4Rows512<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token, float* y)
        where TFormat : struct, IBlock32Format
    {
        byte* q0 = w.Values(row), q1 = w.Values(row + 1), q2 = w.Values(row + 2), q3 = w.Values(row + 3);
        float* s0 = w.ScaleLanes(row), s1 = w.ScaleLanes(row + 1), s2 = w.ScaleLanes(row + 2), s3 = w.ScaleLanes(row + 3);
        sbyte* xq = x.QuantRow(token);
        float* xs = x.ScaleLaneRow(token);
        Vector512<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int c = 0; c < w.Chunks; c++)
        {
            var xv = Vector512.Load(xq + 64 * c);
            var correction = Correction512<TFormat>(xv);
            var xScale = ActivationScales512(xs, c);
            acc0 = Step512<TFormat>(q0 + 64 * c, s0 + 16 * c, xv, correction, xScale, acc0);
            acc1 = Step512<TFormat>(q1 + 64 * c, s1 + 16 * c, xv, correction, xScale, acc1);
            acc2 = Step512<TFormat>(q2 + 64 * c, s2 + 16 * c, xv, correction, xScale, acc2);
            acc3 = Step512<TFormat>(q3 + 64 * c, s3 + 16 * c, xv, correction, xScale, acc3);
        }
        y[0] = LaneSum.Of16(acc0) + MinTerm<TFormat>(w, row, x, token);
        y[1] = LaneSum.Of16(acc1) + MinTerm<TFormat>(w, row + 1, x, token);
        y[2] = LaneSum.Of16(acc2) + MinTerm<TFormat>(w, row + 2, x, token);
        y[3] = LaneSum.Of16(acc3) + MinTerm<TFormat>(w, row + 3, x, token);
    }

    static float Dot1Row512<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IBlock32Format
    {
        byte* q = w.Values(row);
        float* s = w.ScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        float* xs = x.ScaleLaneRow(token);
        Vector512<float> acc = default;
        for (int c = 0; c < w.Chunks; c++)
        {
            var xv = Vector512.Load(xq + 64 * c);
            acc = Step512<TFormat>(q + 64 * c, s + 16 * c, xv, Correction512<TFormat>(xv), ActivationScales512(xs, c), acc);
        }
        return LaneSum.Of16(acc) + MinTerm<TFormat>(w, row, x, token);
    }

    static float Dot256<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IBlock32Format
    {
        byte* q = w.Values(row);
        float* s = w.ScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        float* xs = x.ScaleRow(token);
        var ones = Vector256.Create((short)1);
        var offset = Vector256.Create(TFormat.Offset);
        Vector256<float> accLow = default, accHigh = default;
        for (int c = 0; c < w.Chunks; c++)
        {
            for (int half = 0; half < 2; half++)
            {
                var xv = Vector256.Load(xq + 64 * c + 32 * half);
                var lanes = Int8Dot.AddQuads(Vector256<int>.Zero, Vector256.Load(q + 64 * c + 32 * half), xv);
                if (TFormat.Offset != 0) lanes -= Int8Dot.AddQuads(Vector256<int>.Zero, offset, xv);
                var scale = Vector256.Load(s + 16 * c + 8 * half) * Vector256.Create(xs[2 * c + half]);
                var value = Avx.ConvertToVector256Single(lanes);
                if (half == 0) accLow = Vector256.FusedMultiplyAdd(value, scale, accLow);
                else accHigh = Vector256.FusedMultiplyAdd(value, scale, accHigh);
            }
        }
        return LaneSum.Of16(accLow, accHigh) + MinTerm<TFormat>(w, row, x, token);
    }

    static float Dot128<TFormat>(DecodedRows w, int row, QuantizedActivations x, int token)
        where TFormat : struct, IBlock32Format
    {
        byte* q = w.Values(row);
        float* s = w.ScaleLanes(row);
        sbyte* xq = x.QuantRow(token);
        float* xs = x.ScaleRow(token);
        var ones = Vector128.Create((short)1);
        var offset = Vector128.Create(TFormat.Offset);
        Vector128<float> acc0 = default, acc1 = default, acc2 = default, acc3 = default;
        for (int c = 0; c < w.Chunks; c++)
        {
            for (int quarter = 0; quarter < 4; quarter++)
            {
                var xv = Vector128.Load(xq + 64 * c + 16 * quarter);
                var lanes = Int8Dot.AddQuads(Vector128<int>.Zero, Vector128.Load(q + 64 * c + 16 * quarter), xv);
                if (TFormat.Offset != 0) lanes -= Int8Dot.AddQuads(Vector128<int>.Zero, offset, xv);
                var scale = Vector128.Load(s + 16 * c + 4 * quarter) * Vector128.Create(xs[2 * c + quarter / 2]);
                var value = Vector128.ConvertToSingle(lanes);
                switch (quarter)
                {
                    case 0: acc0 = Vector128.FusedMultiplyAdd(value, scale, acc0); break;
                    case 1: acc1 = Vector128.FusedMultiplyAdd(value, scale, acc1); break;
                    case 2: acc2 = Vector128.FusedMultiplyAdd(value, scale, acc2); break;
                    default: acc3 = Vector128.FusedMultiplyAdd(value, scale, acc3); break;
                }
            }
        }
        return LaneSum.Of16(acc0, acc1, acc2, acc3) + MinTerm<TFormat>(w, row, x, token);
    }
}
