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
            for (int r = 0; r < rowCount; r++) y[r] = Dot512(rows[r], columns, x);
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
