using System.Runtime.InteropServices;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// y = x · Wᵀ for a batch of activation rows: y[t, r] = Σ_c W[r, c] · x[t, c].
/// Every output element is computed by the same per-row dot product whatever the number of tokens, so
/// a token's result does not depend on the batch it was computed in.
/// </summary>
public static class MatMul
{
    /// <param name="x">tokenCount rows of w.Columns floats.</param>
    /// <param name="y">tokenCount rows of w.Rows floats.</param>
    public static void Multiply(WeightMatrix w, ReadOnlySpan<float> x, int tokenCount, Span<float> y)
    {
        if (x.Length < tokenCount * w.Columns || y.Length < tokenCount * w.Rows)
            throw new ArgumentException($"{w.Name}: buffers too small for {tokenCount} tokens");
        if (w.Type != GgmlType.F32)
            throw new NotSupportedException($"tensor '{w.Name}' has type {w.Type}, which the matrix kernels do not support");
        for (int t = 0; t < tokenCount; t++)
        {
            var xt = x.Slice(t * w.Columns, w.Columns);
            for (int r = 0; r < w.Rows; r++)
            {
                var row = MemoryMarshal.Cast<byte, float>(w.Row(r));
                float sum = 0;
                for (int c = 0; c < row.Length; c++) sum += row[c] * xt[c];
                y[t * w.Rows + r] = sum;
            }
        }
    }
}
