using Specula.Sampling;

namespace Specula.Tests.Sampling;

/// <summary>
/// A deliberately plain transcription of llama.cpp's default chain, step by step, for comparing against
/// <see cref="Sampler"/>: full sort, then top-k, top-p (softmax over what is left), min-p (on the top-p
/// result), temperature and softmax in double precision.
/// </summary>
internal static class ReferenceChain
{
    public static Dictionary<int, double> Distribution(float[] logits, int[] history, SamplingParams p)
    {
        float[] z = (float[])logits.Clone();
        if (p.PenaltiesEnabled)
        {
            int[] window = p.PenaltyLastN < 0 ? history : history.TakeLast(p.PenaltyLastN).ToArray();
            foreach (var group in window.GroupBy(t => t))
            {
                float l = z[group.Key];
                l = l <= 0f ? l * p.RepetitionPenalty : l / p.RepetitionPenalty;
                z[group.Key] = l - (group.Count() * p.FrequencyPenalty + p.PresencePenalty);
            }
        }

        // Best first; the lower id first on equal logits.
        int[] order = Enumerable.Range(0, z.Length).OrderByDescending(i => z[i]).ThenBy(i => i).ToArray();
        if (p.Temperature <= 0f)
            return new Dictionary<int, double> { [order[0]] = 1.0 };

        int minKeep = Math.Max(1, p.MinKeep);
        int size = p.TopK > 0 && p.TopK < z.Length ? p.TopK : z.Length;

        if (p.TopP < 1f)
        {
            double[] probs = Softmax(order.Take(size).Select(i => (double)z[i]).ToArray());
            double cumulative = 0;
            for (int i = 0; i < size; i++)
            {
                cumulative += probs[i];
                if (cumulative >= p.TopP && i + 1 >= minKeep)
                {
                    size = i + 1;
                    break;
                }
            }
        }

        if (p.MinP > 0f)
        {
            float minLogit = z[order[0]] + MathF.Log(p.MinP);
            int i = 1;
            for (; i < size; i++)
                if (z[order[i]] < minLogit && i >= minKeep)
                    break;
            size = i;
        }

        int[] kept = order.Take(size).ToArray();
        double[] tempered = Softmax(kept.Select(i => (double)z[i] / p.Temperature).ToArray());
        var result = new Dictionary<int, double>();
        for (int i = 0; i < kept.Length; i++)
            result[kept[i]] = tempered[i];
        return result;
    }

    public static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => double.IsNegativeInfinity(v) ? 0 : Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>log-softmax in double precision.</summary>
    public static double[] LogSoftmax(float[] z)
    {
        double max = z.Max();
        double logSum = Math.Log(z.Sum(v => Math.Exp(v - max)));
        return z.Select(v => v - max - logSum).ToArray();
    }
}
