using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// y = x · Wᵀ for a batch of activation rows: y[t, r] = Σ_c W[r, c] · x[t, c], with llama.cpp's numerics:
/// each activation row is first converted once to the weight type's <see cref="VecDotType"/> (Q8_0, Q8_1,
/// Q8_K, F16, BF16 or F32), then every output is an integer (or float) dot product of one weight row with
/// one converted activation row.
/// <para>Threading: the work runs on a <see cref="ComputePool"/> (the shared one unless one is passed), split
/// into chunks of 16 output rows taken from an atomic counter. Each output element is computed wholly by one
/// thread with the same sequence of operations whatever the number of tokens, the thread count or the chunk
/// it falls in, so a token's result is bit-identical alone or in a batch.</para>
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
        if (tokenCount < 0) throw new ArgumentOutOfRangeException(nameof(tokenCount), tokenCount, "token count must not be negative");
        if (!VecDotType.IsSupported(w.Type))
            throw new NotSupportedException($"tensor '{w.Name}' has type {w.Type}, which the matrix kernels do not support");
        if (x.Length < (long)tokenCount * w.Columns)
            throw new ArgumentException($"{w.Name}: activations hold {x.Length} values, {tokenCount} tokens of {w.Columns} columns need {(long)tokenCount * w.Columns}", nameof(x));
        if (y.Length < (long)tokenCount * w.Rows)
            throw new ArgumentException($"{w.Name}: output holds {y.Length} values, {tokenCount} tokens of {w.Rows} rows need {(long)tokenCount * w.Rows}", nameof(y));
        if (tokenCount == 0 || w.Rows == 0) return;

        var operation = pool.MatMulOperation ??= new MatMulOperation(pool);
        fixed (float* xp = x)
        fixed (float* yp = y)
            operation.Run(w, xp, tokenCount, yp);
    }
}
