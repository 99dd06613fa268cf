namespace Specula.Kernels;

/// <summary>Numerically stable softmax, computed the way ggml's CPU backend computes <c>soft_max</c>.</summary>
public static unsafe class Softmax
{
    /// <summary>
    /// Replaces <paramref name="values"/> by softmax(values): the maximum is subtracted, each run of 16 values
    /// from the start is exponentiated with ggml's vector exp (<see cref="GgmlExp"/>) and summed across its
    /// lanes in float, the run sums are accumulated in double, a tail shorter than 16 uses the C library's
    /// expf, and every value is multiplied by the float reciprocal of the sum. The result depends only on the
    /// values (not on the vector width or the caller) and equals llama.cpp's to the bit.
    /// </summary>
    public static void InPlace(Span<float> values)
    {
        if (values.IsEmpty) return;
        fixed (float* x = values)
        {
            switch (Lanes16.Current)
            {
                case Lanes16.Width.W512: Run<Lanes512>(x, values.Length); break;
                case Lanes16.Width.W256: Run<Lanes256>(x, values.Length); break;
                default: Run<Lanes128>(x, values.Length); break;
            }
        }
    }

    internal static void Run<T>(float* x, int n) where T : unmanaged, ILanes16<T>
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (n >= 16)
        {
            var m = T.Load(x);
            for (i = 16; i + 16 <= n; i += 16) m = T.Max(m, T.Load(x + i));
            max = T.MaxAcross(m);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);

        var shift = T.Broadcast(max);
        double sum = 0;
        for (i = 0; i + 16 <= n; i += 16)
        {
            var e = GgmlExp.Of(T.Load(x + i) - shift);
            T.Store(e, x + i);
            sum += T.Sum(e);
        }
        for (; i < n; i++)
        {
            float e = MathF.Exp(x[i] - max);
            x[i] = e;
            sum += e;
        }

        float inverse = (float)(1.0 / sum);
        var scale = T.Broadcast(inverse);
        for (i = 0; i + 16 <= n; i += 16) T.Store(T.Load(x + i) * scale, x + i);
        for (; i < n; i++) x[i] *= inverse;
    }
}
