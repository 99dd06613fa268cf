using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>
/// Dot products of float rows (F32 weights read in place, F16/BF16 weights decoded to float) with float
/// activations (already rounded to the weight's precision, as ggml converts them). Thirty-two partial sums per
/// row, at every width: lane i takes values 32k+i with a fused multiply-add (two independent chains per
/// 512-bit register pair, so the adder's latency does not bound the speed); a last group of 16 (when the row
/// has one past the last whole 32) goes to lanes 0-15; then lanes i and i+16 are added and
/// <see cref="LaneSum.Of16(Vector512{float})"/> sums the sixteen, and the columns past the last whole 16 are
/// added one by one into a separate sum.
/// </summary>
internal static unsafe class FloatKernels
{
    /// <param name="rows">Pointers to the rows' floats.</param>
    public static void Dot(float** rows, int rowCount, int columns, float* x, float* y)
    {
        if (KernelOptions.Use512)
        {
            int r = 0;
            for (; r + 4 <= rowCount; r += 4) Dot4Rows512(rows + r, columns, x, y + r);
            for (; r < rowCount; r++) y[r] = Dot512(rows[r], columns, x);
        }
        else if (KernelOptions.Use256)
        {
            for (int r = 0; r < rowCount; r++) y[r] = Dot256(rows[r], columns, x);
        }
        else
        {
            for (int r = 0; r < rowCount; r++) y[r] = Dot128(rows[r], columns, x);
        }
    }

    internal static float Tail(float* w, float* x, int from, int to)
    {
        float sum = 0;
        for (int i = from; i < to; i++) sum += w[i] * x[i];
        return sum;
    }

    static float Dot512(float* w, int n, float* x)
    {
        Vector512<float> low = default, high = default;
        int whole = n & ~15, i = 0;
        for (; i + 32 <= whole; i += 32)
        {
            low = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), low);
            high = Vector512.FusedMultiplyAdd(Vector512.Load(w + i + 16), Vector512.Load(x + i + 16), high);
        }
        if (i < whole) low = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), low);
        return LaneSum.Of16(low + high) + Tail(w, x, whole, n);
    }

    /// <summary>Four rows at once (each activation load serves four rows), the same steps per row as
    /// <see cref="Dot512"/>.</summary>
    static void Dot4Rows512(float** rows, int n, float* x, float* y)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        Vector512<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector512<float> h0 = default, h1 = default, h2 = default, h3 = default;
        int whole = n & ~15, i = 0;
        for (; i + 32 <= whole; i += 32)
        {
            var xl = Vector512.Load(x + i);
            var xh = Vector512.Load(x + i + 16);
            l0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xl, l0);
            h0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i + 16), xh, h0);
            l1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xl, l1);
            h1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i + 16), xh, h1);
            l2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xl, l2);
            h2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i + 16), xh, h2);
            l3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xl, l3);
            h3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i + 16), xh, h3);
        }
        if (i < whole)
        {
            var xl = Vector512.Load(x + i);
            l0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xl, l0);
            l1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xl, l1);
            l2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xl, l2);
            l3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xl, l3);
        }
        float s0 = LaneSum.Of16(l0 + h0), s1 = LaneSum.Of16(l1 + h1), s2 = LaneSum.Of16(l2 + h2), s3 = LaneSum.Of16(l3 + h3);
        y[0] = s0 + Tail(w0, x, whole, n);
        y[1] = s1 + Tail(w1, x, whole, n);
        y[2] = s2 + Tail(w2, x, whole, n);
        y[3] = s3 + Tail(w3, x, whole, n);
    }

    static float Dot256(float* w, int n, float* x)
    {
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
        int whole = n & ~15, i = 0;
        for (; i + 32 <= whole; i += 32)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
            b0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 16), Vector256.Load(x + i + 16), b0);
            b1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 24), Vector256.Load(x + i + 24), b1);
        }
        if (i < whole)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), a1);
        }
        return LaneSum.Of16(a0 + b0, a1 + b1) + Tail(w, x, whole, n);
    }

    static float Dot128(float* w, int n, float* x)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector128<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int whole = n & ~15, i = 0;
        for (; i + 32 <= whole; i += 32)
        {
            a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), a0);
            a1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), a1);
            a2 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 8), Vector128.Load(x + i + 8), a2);
            a3 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 12), Vector128.Load(x + i + 12), a3);
            b0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 16), Vector128.Load(x + i + 16), b0);
            b1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 20), Vector128.Load(x + i + 20), b1);
            b2 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 24), Vector128.Load(x + i + 24), b2);
            b3 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 28), Vector128.Load(x + i + 28), b3);
        }
        if (i < whole)
        {
            a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), a0);
            a1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), a1);
            a2 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 8), Vector128.Load(x + i + 8), a2);
            a3 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 12), Vector128.Load(x + i + 12), a3);
        }
        return LaneSum.Of16(a0 + b0, a1 + b1, a2 + b2, a3 + b3) + Tail(w, x, whole, n);
    }
}
