namespace Specula.Tests.Sampling;

/// <summary>Pearson's chi-square goodness-of-fit statistic and its critical value at significance 0.001.</summary>
internal static class ChiSquare
{
    /// <summary>Standard normal quantile for an upper tail of 0.001.</summary>
    const double Z999 = 3.090232;

    /// <summary>
    /// Critical value of the chi-square distribution with <paramref name="degreesOfFreedom"/> at
    /// significance 0.001, by the Wilson-Hilferty approximation (within 1% of tabulated values for df &gt;= 3;
    /// exact table entries below that).
    /// </summary>
    public static double Critical(int degreesOfFreedom)
    {
        switch (degreesOfFreedom)
        {
            case 1: return 10.828;
            case 2: return 13.816;
        }
        double k = degreesOfFreedom;
        double a = 2.0 / (9.0 * k);
        return k * Math.Pow(1 - a + Z999 * Math.Sqrt(a), 3);
    }

    /// <summary>Sum over bins of (observed - expected)^2 / expected, with expected = probability * total.</summary>
    public static double Statistic(IReadOnlyList<int> observed, IReadOnlyList<double> probabilities)
    {
        long total = 0;
        foreach (int count in observed)
            total += count;
        double statistic = 0;
        for (int i = 0; i < observed.Count; i++)
        {
            double expected = probabilities[i] * total;
            statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
        }
        return statistic;
    }
}
