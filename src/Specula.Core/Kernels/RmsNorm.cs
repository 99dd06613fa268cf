using System.Numerics;

namespace Specula.Kernels;

/// <summary>Root-mean-square normalisation: y = x / sqrt(mean(x²) + ε) · w.</summary>
public static class RmsNorm
{
    /// <summary>Normalises one row. The sum of squares is accumulated in double, in element order, and the
    /// scale is rounded to float before use, as llama.cpp does, so results match it to the last bit where
    /// the inputs match.</summary>
    public static void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        int n = x.Length;
        if (weight.Length != n || y.Length < n)
            throw new ArgumentException($"RmsNorm: row of {n}, weight of {weight.Length}, output of {y.Length}");
        Scale(x, Factor(x, epsilon), weight, y);
    }

    /// <summary>residual += addend (the residual connection), then <see cref="Apply"/> on the new residual.</summary>
    public static void AddAndApply(Span<float> residual, ReadOnlySpan<float> addend, ReadOnlySpan<float> weight, float epsilon, Span<float> y)
    {
        Elementwise.Add(residual, addend);
        Apply(residual, weight, epsilon, y);
    }

    /// <summary>Normalises <paramref name="rows"/> consecutive rows of <paramref name="rowLength"/> in place
    /// (the per-head Q/K norm of Qwen3 uses this with one row per head).</summary>
    public static void ApplyInPlace(Span<float> data, int rows, int rowLength, ReadOnlySpan<float> weight, float epsilon)
    {
        if (weight.Length != rowLength || data.Length < rows * rowLength)
            throw new ArgumentException($"RmsNorm: {rows} rows of {rowLength}, weight of {weight.Length}, data of {data.Length}");
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * rowLength, rowLength);
            Scale(row, Factor(row, epsilon), weight, row);
        }
    }

    static float Factor(ReadOnlySpan<float> x, float epsilon)
    {
        // One double add after another, as ggml does: the order is part of the result.
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * x[i];
        float mean = (float)(sum / x.Length);
        return 1.0f / MathF.Sqrt(mean + epsilon);
    }

    /// <summary>y = (x · scale) · w, two roundings per element like ggml's scale then mul.</summary>
    static void Scale(ReadOnlySpan<float> x, float scale, ReadOnlySpan<float> weight, Span<float> y)
    {
        int i = 0, n = x.Length;
        int width = Vector<float>.Count;
        var s = new Vector<float>(scale);
        for (; i + width <= n; i += width)
            (new Vector<float>(x[i..]) * s * new Vector<float>(weight[i..])).CopyTo(y[i..]);
        for (; i < n; i++) y[i] = x[i] * scale * weight[i];
    }
}
