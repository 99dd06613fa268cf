namespace Specula.Kernels;

/// <summary>Numerically stable softmax.</summary>
public static class Softmax
{
    /// <summary>Replaces <paramref name="values"/> by softmax(values). The normaliser is accumulated in double
    /// in element order (as llama.cpp does), so the result depends only on the values, not on who calls.</summary>
    public static void InPlace(Span<float> values)
    {
        if (values.IsEmpty) return;
        float max = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++) if (values[i] > max) max = values[i];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            float e = MathF.Exp(values[i] - max);
            values[i] = e;
            sum += e;
        }
        float inverse = (float)(1.0 / sum);
        for (int i = 0; i < values.Length; i++) values[i] *= inverse;
    }
}
