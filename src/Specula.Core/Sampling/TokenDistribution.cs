namespace Specula.Sampling;

/// <summary>
/// The distribution a <see cref="Sampler"/> draws from after its whole chain (penalties, truncation,
/// temperature): candidate token ids with unnormalised weights. Speculative verification needs exactly
/// this processed distribution for target and draft. It views the sampler's buffers, so it is valid only
/// until that sampler's next call.
/// </summary>
public readonly ref struct TokenDistribution
{
    /// <summary>The draw walks the weights in blocks of this many, summed with SIMD, before going token by token.</summary>
    internal const int BlockSize = 256;

    internal TokenDistribution(ReadOnlySpan<int> tokenIds, ReadOnlySpan<float> weights, double totalWeight)
    {
        TokenIds = tokenIds;
        Weights = weights;
        TotalWeight = totalWeight;
    }

    /// <summary>Candidate token ids. After truncation they are ordered best first; without truncation this is every id in order.</summary>
    public ReadOnlySpan<int> TokenIds { get; }

    /// <summary>Unnormalised probability of each candidate (exp of its tempered logit minus the best one's).</summary>
    public ReadOnlySpan<float> Weights { get; }

    /// <summary>Sum of <see cref="Weights"/>, computed the same way the draw walks them.</summary>
    public double TotalWeight { get; }

    public int Count => TokenIds.Length;

    /// <summary>Normalised probability of the candidate at <paramref name="candidate"/> (an index into <see cref="TokenIds"/>).</summary>
    public double Probability(int candidate) => Weights[candidate] / TotalWeight;

    /// <summary>Probability of <paramref name="tokenId"/>; 0 when it was cut from the candidates.</summary>
    public double ProbabilityOfToken(int tokenId)
    {
        int index = TokenIds.IndexOf(tokenId);
        return index < 0 ? 0.0 : Probability(index);
    }

    /// <summary>Draws a token id; uses exactly one value of <paramref name="random"/>.</summary>
    public int DrawToken(IRandomSource random) => TokenIds[DrawCandidate(random)];

    /// <summary>
    /// Draws a candidate index with probability weight / total, using exactly one value of
    /// <paramref name="random"/> (also when there is a single candidate, so streams stay aligned).
    /// </summary>
    public int DrawCandidate(IRandomSource random)
    {
        double target = random.NextDouble() * TotalWeight;
        double cumulative = 0;
        for (int blockStart = 0; blockStart < Weights.Length; blockStart += BlockSize)
        {
            ReadOnlySpan<float> block = Weights.Slice(blockStart, Math.Min(BlockSize, Weights.Length - blockStart));
            double blockSum = DoubleSum.Of(block);
            if (cumulative + blockSum <= target)
            {
                cumulative += blockSum;
                continue;
            }
            // The target lies in this block; the scalar running sum may differ from the SIMD block sum in the
            // last bits, so fall back to the block's last positive weight if it does not reach the target.
            int lastPositive = -1;
            for (int i = 0; i < block.Length; i++)
            {
                if (block[i] <= 0f)
                    continue;
                lastPositive = i;
                cumulative += block[i];
                if (cumulative > target)
                    return blockStart + i;
            }
            return blockStart + lastPositive;
        }
        // Only reachable through rounding at the very end: return the last candidate that can be drawn.
        for (int i = Weights.Length - 1; i >= 0; i--)
            if (Weights[i] > 0f)
                return i;
        throw new InvalidOperationException("the distribution has no candidate with positive weight");
    }

    /// <summary>The total the draw walk will see: block sums in the same order, accumulated in double.</summary>
    internal static double BlockwiseSum(ReadOnlySpan<float> weights)
    {
        double total = 0;
        for (int blockStart = 0; blockStart < weights.Length; blockStart += BlockSize)
            total += DoubleSum.Of(weights.Slice(blockStart, Math.Min(BlockSize, weights.Length - blockStart)));
        return total;
    }
}
