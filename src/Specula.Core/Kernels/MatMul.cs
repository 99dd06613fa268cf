using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// y = x · Wᵀ for a batch of activation rows: y[t, r] = Σ_c W[r, c] · x[t, c], with llama.cpp's numerics:
/// each activation row is first converted once to the weight type's <see cref="VecDotType"/> (Q8_0, Q8_1,
/// Q8_K, F16, BF16 or F32), then every output is an integer (or float) dot product of one weight row with
/// one converted activation row.
/// <para>Threading: the work runs on a <see cref="ComputePool"/> (the shared one unless one is passed), split
/// into chunks of 16 output rows taken from an atomic counter. Each output element is computed wholly by one
/// thread with the same sequence of operations whatever the number of tokens, the thread count, the chunk it
/// falls in or the other matrices multiplied in the same call, so a token's result is bit-identical alone or
/// in a batch.</para>
/// <para>Two or three matrices that read the same activations (a layer's query, key and value projections;
/// its gate and up projections) can be multiplied in one call: one pass over the pool and one conversion of
/// the activations per distinct <see cref="VecDotType"/>, with the results of separate calls.</para>
/// <para>The outputs must not overlap the activations or each other.</para>
/// </summary>
public static class MatMul
{
    /// <param name="x">tokenCount rows of w.Columns floats.</param>
    /// <param name="y">tokenCount rows of w.Rows floats.</param>
    public static void Multiply(WeightMatrix w, ReadOnlySpan<float> x, int tokenCount, Span<float> y) =>
        Multiply(w, x, tokenCount, y, ComputePool.Shared);

    /// <summary>As <see cref="Multiply(WeightMatrix, ReadOnlySpan{float}, int, Span{float})"/>, on the threads of
    /// <paramref name="pool"/>.</summary>
    public static unsafe void Multiply(WeightMatrix w, ReadOnlySpan<float> x, int tokenCount, Span<float> y, ComputePool pool)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(pool);
        Validate(w, x, tokenCount, y, w.Columns);
        if (tokenCount == 0) return;
        fixed (float* xp = x)
        fixed (float* yp = y)
        {
            CheckDisjoint(w, yp, (long)tokenCount * w.Rows, xp, x.Length, null, 0, null, 0);
            if (w.Rows == 0) return;
            Operation(pool).Run(1, w, (nint)yp, null, 0, null, 0, xp, w.Columns, tokenCount);
        }
    }

    /// <summary>y0 = x · w0ᵀ and y1 = x · w1ᵀ in one pass (both matrices have the same number of columns).</summary>
    public static unsafe void Multiply(ReadOnlySpan<float> x, int tokenCount, WeightMatrix w0, Span<float> y0,
        WeightMatrix w1, Span<float> y1, ComputePool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(w0);
        ArgumentNullException.ThrowIfNull(w1);
        Validate(w0, x, tokenCount, y0, w0.Columns);
        Validate(w1, x, tokenCount, y1, w0.Columns);
        if (tokenCount == 0) return;
        fixed (float* xp = x)
        fixed (float* p0 = y0)
        fixed (float* p1 = y1)
        {
            CheckDisjoint(w0, p0, (long)tokenCount * w0.Rows, xp, x.Length, p1, (long)tokenCount * w1.Rows, null, 0);
            CheckDisjoint(w1, p1, (long)tokenCount * w1.Rows, xp, x.Length, null, 0, null, 0);
            Operation(pool ?? ComputePool.Shared).Run(2, w0, (nint)p0, w1, (nint)p1, null, 0, xp, w0.Columns, tokenCount);
        }
    }

    /// <summary>y0 = x · w0ᵀ, y1 = x · w1ᵀ and y2 = x · w2ᵀ in one pass (all with the same number of columns).</summary>
    public static unsafe void Multiply(ReadOnlySpan<float> x, int tokenCount, WeightMatrix w0, Span<float> y0,
        WeightMatrix w1, Span<float> y1, WeightMatrix w2, Span<float> y2, ComputePool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(w0);
        ArgumentNullException.ThrowIfNull(w1);
        ArgumentNullException.ThrowIfNull(w2);
        Validate(w0, x, tokenCount, y0, w0.Columns);
        Validate(w1, x, tokenCount, y1, w0.Columns);
        Validate(w2, x, tokenCount, y2, w0.Columns);
        if (tokenCount == 0) return;
        fixed (float* xp = x)
        fixed (float* p0 = y0)
        fixed (float* p1 = y1)
        fixed (float* p2 = y2)
        {
            long n0 = (long)tokenCount * w0.Rows, n1 = (long)tokenCount * w1.Rows, n2 = (long)tokenCount * w2.Rows;
            CheckDisjoint(w0, p0, n0, xp, x.Length, p1, n1, p2, n2);
            CheckDisjoint(w1, p1, n1, xp, x.Length, p2, n2, null, 0);
            CheckDisjoint(w2, p2, n2, xp, x.Length, null, 0, null, 0);
            Operation(pool ?? ComputePool.Shared).Run(3, w0, (nint)p0, w1, (nint)p1, w2, (nint)p2, xp, w0.Columns, tokenCount);
        }
    }

    static MatMulOperation Operation(ComputePool pool) => pool.MatMulOperation ??= new MatMulOperation(pool);

    static void Validate(WeightMatrix w, ReadOnlySpan<float> x, int tokenCount, Span<float> y, int columns)
    {
        if (tokenCount < 0) throw new ArgumentOutOfRangeException(nameof(tokenCount), tokenCount, "token count must not be negative");
        if (!VecDotType.IsSupported(w.Type))
            throw new NotSupportedException($"tensor '{w.Name}' has type {w.Type}, which the matrix kernels do not support");
        if (w.Columns != columns)
            throw new ArgumentException($"{w.Name} has {w.Columns} columns, the other matrices of the call {columns}", nameof(w));
        if (x.Length < (long)tokenCount * w.Columns)
            throw new ArgumentException($"{w.Name}: activations hold {x.Length} values, {tokenCount} tokens of {w.Columns} columns need {(long)tokenCount * w.Columns}", nameof(x));
        if (y.Length < (long)tokenCount * w.Rows)
            throw new ArgumentException($"{w.Name}: output holds {y.Length} values, {tokenCount} tokens of {w.Rows} rows need {(long)tokenCount * w.Rows}", nameof(y));
    }

    /// <summary>The threads convert the activations and write outputs without waiting for each other, so an
    /// output may share no memory with the activations or another output.</summary>
    static unsafe void CheckDisjoint(WeightMatrix w, float* y, long yLength, float* x, long xLength,
        float* other1, long length1, float* other2, long length2)
    {
        if (yLength == 0) return;
        if (Overlaps(y, yLength, x, xLength))
            throw new ArgumentException($"{w.Name}: the output overlaps the activations", nameof(y));
        if (Overlaps(y, yLength, other1, length1) || Overlaps(y, yLength, other2, length2))
            throw new ArgumentException($"{w.Name}: the output overlaps another output of the call", nameof(y));
    }

    static unsafe bool Overlaps(float* a, long aLength, float* b, long bLength) =>
        b != null && aLength > 0 && bLength > 0 && a < b + bLength && b < a + aLength;
}
