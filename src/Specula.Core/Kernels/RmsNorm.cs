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
        float scale = Scale(x, epsilon);
        for (int i = 0; i < n; i++) y[i] = x[i] * scale * weight[i];
    }

    /// <summary>Normalises <paramref name="rows"/> consecutive rows of <paramref name="rowLength"/> in place
    /// (the per-head Q/K norm of Qwen3 uses this with one row per head).</summary>
    public static void ApplyInPlace(Span<float> data, int rows, int rowLength, ReadOnlySpan<float> weight, float epsilon)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = data.Slice(r * rowLength, rowLength);
            float scale = Scale(row, epsilon);
            for (int i = 0; i < rowLength; i++) row[i] = row[i] * scale * weight[i];
        }
    }

    static float Scale(ReadOnlySpan<float> x, float epsilon)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * x[i];
        float mean = (float)(sum / x.Length);
        return 1.0f / MathF.Sqrt(mean + epsilon);
    }
}
