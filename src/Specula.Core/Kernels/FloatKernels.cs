using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>
/// Dot products of float rows (F32 weights read in place, F16/BF16 weights decoded to float) with float
/// activations (already rounded to the weight's precision, as ggml converts them). Lane i of the sixteen
/// accumulators takes values 16k+i with a fused multiply-add at every width; the columns past the last whole
/// 16 are added one by one into a separate sum.
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

    static float Tail(float* w, float* x, int from, int to)
    {
        float sum = 0;
        for (int i = from; i < to; i++) sum += w[i] * x[i];
        return sum;
    }

    static void Dot4Rows512(float** rows, int n, float* x, float* y)
    {
        float* w0 = rows[0], w1 = rows[1], w2 = rows[2], w3 = rows[3];
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int whole = n & ~15;
        for (int i = 0; i < whole; i += 16)
        {
            var xv = Vector512.Load(x + i);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xv, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xv, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xv, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xv, a3);
        }
        y[0] = LaneSum.Of16(a0) + Tail(w0, x, whole, n);
        y[1] = LaneSum.Of16(a1) + Tail(w1, x, whole, n);
        y[2] = LaneSum.Of16(a2) + Tail(w2, x, whole, n);
        y[3] = LaneSum.Of16(a3) + Tail(w3, x, whole, n);
    }

    static float Dot512(float* w, int n, float* x)
    {
        Vector512<float> acc = default;
        int whole = n & ~15;
        for (int i = 0; i < whole; i += 16)
            acc = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), acc);
        return LaneSum.Of16(acc) + Tail(w, x, whole, n);
    }

    static float Dot256(float* w, int n, float* x)
    {
        Vector256<float> low = default, high = default;
        int whole = n & ~15;
        for (int i = 0; i < whole; i += 16)
        {
            low = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), low);
            high = Vector256.FusedMultiplyAdd(Vector256.Load(w + i + 8), Vector256.Load(x + i + 8), high);
        }
        return LaneSum.Of16(low, high) + Tail(w, x, whole, n);
    }

    static float Dot128(float* w, int n, float* x)
    {
        Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int whole = n & ~15;
        for (int i = 0; i < whole; i += 16)
        {
            a0 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i), Vector128.Load(x + i), a0);
            a1 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 4), Vector128.Load(x + i + 4), a1);
            a2 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 8), Vector128.Load(x + i + 8), a2);
            a3 = Vector128.FusedMultiplyAdd(Vector128.Load(w + i + 12), Vector128.Load(x + i + 12), a3);
        }
        return LaneSum.Of16(a0, a1, a2, a3) + Tail(w, x, whole, n);
    }
}
