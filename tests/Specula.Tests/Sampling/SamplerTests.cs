using Specula.Sampling;
using Xunit;

namespace Specula.Tests.Sampling;

public class SamplerTests
{
    static readonly SamplingParams NoTruncation = new() { TopK = 0, TopP = 1f, MinP = 0f };

    static float[] RandomLogits(SeededRandom random, int count, double scale)
    {
        var logits = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller: normal logits like a model's, scaled.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            logits[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return logits;
    }

    static int NaiveArgMax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best])
                best = i;
        return best;
    }

    // ---- greedy and top-k = 1 ----

    [Fact]
    public void GreedyPicksTheArgmax()
    {
        var random = new SeededRandom(1UL);
        foreach (int size in new[] { 1, 7, 31, 1000, 32_001 })
        {
            var sampler = new Sampler(SamplingParams.Greedy, size);
            for (int trial = 0; trial < 5; trial++)
            {
                float[] logits = RandomLogits(random, size, 3);
                Assert.Equal(NaiveArgMax(logits), sampler.Sample(logits, [], random).TokenId);
            }
        }
    }

    [Fact]
    public void GreedyTieGoesToTheLowestTokenId()
    {
        var logits = new float[4096];
        Array.Fill(logits, -1f);
        logits[3000] = 2.5f;
        logits[37] = 2.5f;
        logits[1001] = 2.5f;
        var sampler = new Sampler(SamplingParams.Greedy, logits.Length);
        Assert.Equal(37, sampler.Sample(logits, [], new SeededRandom(1UL)).TokenId);

        // -0 and +0 are equal logits, so the lower id wins here too.
        var zeros = new Sampler(SamplingParams.Greedy, 3);
        Assert.Equal(0, zeros.Sample([-0f, 0f, -1f], [], new SeededRandom(1UL)).TokenId);

        // Temperature below zero is greedy as well (llama.cpp).
        var negative = new Sampler(new SamplingParams { Temperature = -1f }, logits.Length);
        Assert.Equal(37, negative.Sample(logits, [], new SeededRandom(1UL)).TokenId);
    }

    [Fact]
    public void TopKOneEqualsGreedyAtAnyTemperature()
    {
        var random = new SeededRandom(2UL);
        const int size = 5000;
        var greedy = new Sampler(SamplingParams.Greedy, size);
        foreach (float temperature in new[] { 0.1f, 1f, 5f, 100f })
        {
            var topOne = new Sampler(new SamplingParams { Temperature = temperature, TopK = 1 }, size);
            for (int trial = 0; trial < 20; trial++)
            {
                float[] logits = RandomLogits(random, size, 2);
                if (trial % 2 == 0)
                {
                    // Plant a tie for the maximum far apart.
                    float max = logits.Max();
                    logits[4000] = max + 1;
                    logits[123] = max + 1;
                }
                int expected = greedy.Sample(logits, [], random).TokenId;
                Assert.Equal(expected, topOne.Sample(logits, [], random).TokenId);
            }
        }
    }

    // ---- reproducibility ----

    static int[] Generate(SamplingParams parameters, ulong seed, int steps)
    {
        const int size = 2000;
        var logitSource = new SeededRandom(1000UL); // the "model": same logits for every run
        var sampler = new Sampler(parameters, size);
        var random = new SeededRandom(seed);
        var history = new List<int>();
        for (int step = 0; step < steps; step++)
        {
            float[] logits = RandomLogits(logitSource, size, 2);
            history.Add(sampler.Sample(logits, history.ToArray(), random).TokenId);
        }
        return history.ToArray();
    }

    [Fact]
    public void SameSeedGivesTheSameTokensAndDifferentSeedsDiffer()
    {
        foreach (var parameters in new[]
        {
            SamplingParams.Default,
            NoTruncation with { Temperature = 1.2f },
            new SamplingParams { TopK = 0, TopP = 0.9f, MinP = 0f, RepetitionPenalty = 1.2f, FrequencyPenalty = 0.1f },
        })
        {
            int[] first = Generate(parameters, 42, 100);
            Assert.Equal(first, Generate(parameters, 42, 100));
            int[] other = Generate(parameters, 43, 100);
            Assert.True(first.Zip(other).Count(pair => pair.First != pair.Second) > 10,
                "different seeds should give mostly different tokens");
        }
    }

    // ---- the sampled frequencies follow the processed distribution ----

    static readonly float[] TenLogits = [2.0f, 1.6f, 1.5f, 1.1f, 0.7f, 0.2f, 0.0f, -0.4f, -1.0f, -2.5f];

    /// <summary>Samples n times and returns the count per token.</summary>
    static int[] Frequencies(SamplingParams parameters, float[] logits, int n, ulong seed)
    {
        var sampler = new Sampler(parameters, logits.Length);
        var random = new SeededRandom(seed);
        var counts = new int[logits.Length];
        for (int i = 0; i < n; i++)
            counts[sampler.Sample(logits, [], random).TokenId]++;
        return counts;
    }

    /// <summary>Chi-square test of the sampled counts against the reference chain's distribution (significance 0.001).</summary>
    static void AssertFollowsReference(SamplingParams parameters, float[] logits, int n = 100_000)
    {
        var expected = ReferenceChain.Distribution(logits, [], parameters);
        int[] counts = Frequencies(parameters, logits, n, seed: 2024);

        for (int token = 0; token < logits.Length; token++)
            if (!expected.ContainsKey(token))
                Assert.True(counts[token] == 0, $"token {token} was cut by the chain but sampled {counts[token]} times");

        int[] keptTokens = expected.Keys.Order().ToArray();
        if (keptTokens.Length == 1)
        {
            Assert.Equal(n, counts[keptTokens[0]]);
            return;
        }
        double statistic = ChiSquare.Statistic(keptTokens.Select(t => counts[t]).ToArray(), keptTokens.Select(t => expected[t]).ToArray());
        double critical = ChiSquare.Critical(keptTokens.Length - 1);
        Assert.True(statistic < critical, $"chi-square {statistic:F2} >= critical {critical:F2} (df {keptTokens.Length - 1})");
    }

    [Fact]
    public void PlainTemperatureSamplingFollowsTheSoftmax()
    {
        foreach (float temperature in new[] { 0.7f, 1f, 1.8f })
            AssertFollowsReference(NoTruncation with { Temperature = temperature }, TenLogits);
    }

    [Fact]
    public void ChiSquareCheckRejectsTheWrongTemperature()
    {
        // The test has power: counts drawn at temperature 0.7 do not pass as temperature 1.
        int[] counts = Frequencies(NoTruncation with { Temperature = 0.7f }, TenLogits, 100_000, 2024);
        double[] untempered = ReferenceChain.Softmax(TenLogits.Select(z => (double)z).ToArray());
        Assert.True(ChiSquare.Statistic(counts, untempered) > 10 * ChiSquare.Critical(9));
    }

    [Fact]
    public void TopKSamplingFollowsTheTruncatedRenormalisedSoftmax()
    {
        AssertFollowsReference(NoTruncation with { TopK = 4, Temperature = 1.3f }, TenLogits);
    }

    [Fact]
    public void TopPSamplingFollowsTheTruncatedRenormalisedSoftmax()
    {
        AssertFollowsReference(NoTruncation with { TopP = 0.8f, Temperature = 0.9f }, TenLogits);
    }

    [Fact]
    public void MinPSamplingFollowsTheTruncatedRenormalisedSoftmax()
    {
        AssertFollowsReference(NoTruncation with { MinP = 0.2f, Temperature = 1.1f }, TenLogits);
    }

    [Fact]
    public void FullDefaultChainSamplingFollowsTheReference()
    {
        AssertFollowsReference(new SamplingParams { TopK = 8, TopP = 0.9f, MinP = 0.05f, Temperature = 0.8f }, TenLogits);
    }

    [Fact]
    public void SamplingOverALargeVocabularyFollowsTheSoftmax()
    {
        // 600 tokens span several 256-token blocks of the draw walk.
        float[] logits = RandomLogits(new SeededRandom(77UL), 600, 0.7);
        AssertFollowsReference(NoTruncation, logits, 100_000);
        AssertFollowsReference(NoTruncation with { TopP = 0.7f }, logits, 100_000);
    }

    // ---- the truncation filters keep exactly the right sets ----

    // Probabilities 0.5, 0.3, 0.15, 0.05 at temperature 1, plus two tokens with (almost) no mass.
    static readonly float[] FourMain = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f), -40f, -41f];

    static int[] KeptTokens(SamplingParams parameters, float[] logits)
    {
        var sampler = new Sampler(parameters, logits.Length);
        var distribution = sampler.ComputeDistribution(logits, []);
        var kept = new List<int>();
        for (int i = 0; i < distribution.Count; i++)
            if (distribution.Weights[i] > 0f)
                kept.Add(distribution.TokenIds[i]);
        kept.Sort();
        return kept.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void TopPKeepsTheSmallestPrefixWhoseMassReachesP(int topK)
    {
        var parameters = NoTruncation with { TopK = topK, Temperature = 1f };
        Assert.Equal([0], KeptTokens(parameters with { TopP = 0.4f }, FourMain));
        Assert.Equal([0, 1], KeptTokens(parameters with { TopP = 0.79f }, FourMain));
        Assert.Equal([0, 1, 2], KeptTokens(parameters with { TopP = 0.81f }, FourMain));
        Assert.Equal([0, 1, 2, 3], KeptTokens(parameters with { TopP = 0.96f }, FourMain));
        // p = 0 still keeps one token (min_keep 1); MinKeep raises the floor.
        Assert.Equal([0], KeptTokens(parameters with { TopP = 0f }, FourMain));
        Assert.Equal([0, 1, 2], KeptTokens(parameters with { TopP = 0.4f, MinKeep = 3 }, FourMain));

        // The kept tokens are renormalised: 0.5 and 0.3 become 0.625 and 0.375.
        var sampler = new Sampler(parameters with { TopP = 0.79f }, FourMain.Length);
        var distribution = sampler.ComputeDistribution(FourMain, []);
        Assert.Equal(0.625, distribution.ProbabilityOfToken(0), 5);
        Assert.Equal(0.375, distribution.ProbabilityOfToken(1), 5);
        Assert.Equal(0.0, distribution.ProbabilityOfToken(2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void MinPKeepsTokensAtLeastMinPTimesTheBest(int topK)
    {
        var parameters = NoTruncation with { TopK = topK, Temperature = 1f };
        // p_max = 0.5: thresholds 0.145, 0.155, 0.305
        Assert.Equal([0, 1, 2], KeptTokens(parameters with { MinP = 0.29f }, FourMain));
        Assert.Equal([0, 1], KeptTokens(parameters with { MinP = 0.31f }, FourMain));
        Assert.Equal([0], KeptTokens(parameters with { MinP = 0.61f }, FourMain));
        Assert.Equal([0, 1, 2, 3], KeptTokens(parameters with { MinP = 0.09f }, FourMain));
        Assert.Equal([0, 1], KeptTokens(parameters with { MinP = 0.9f, MinKeep = 2 }, FourMain));
    }

    [Fact]
    public void TopPAndMinPMeasureProbabilitiesBeforeTemperature()
    {
        // At temperature 1 token 2 has 0.15 < 0.31 * 0.5, so min-p cuts it even though a high temperature
        // would flatten the distribution: truncation happens first, as in llama.cpp.
        Assert.Equal([0, 1], KeptTokens(NoTruncation with { MinP = 0.31f, Temperature = 5f }, FourMain));
        Assert.Equal([0, 1], KeptTokens(NoTruncation with { TopP = 0.79f, Temperature = 5f }, FourMain));
    }

    [Fact]
    public void ProcessedDistributionMatchesTheReferenceChainAcrossSettings()
    {
        var random = new SeededRandom(31UL);
        int[] topKs = [0, 1, 3, 40, 299, 300, 500];
        float[] topPs = [1f, 0f, 0.5f, 0.9f, 0.95f, 0.99999f];
        float[] minPs = [0f, 0.01f, 0.05f, 0.3f, 1f];
        int checkedCases = 0;
        foreach (double scale in new[] { 0.3, 2.0, 12.0 })
        {
            float[] logits = RandomLogits(random, 300, scale);
            // Ties and masked tokens, as grammars and quantised models produce.
            logits[10] = logits[20] = logits[30];
            logits[50] = float.NegativeInfinity;
            int[] history = [5, 6, 5, 299, 10];
            foreach (int topK in topKs)
            foreach (float topP in topPs)
            foreach (float minP in minPs)
            {
                var parameters = new SamplingParams
                {
                    TopK = topK, TopP = topP, MinP = minP, MinKeep = checkedCases % 3 == 0 ? 4 : 1,
                    Temperature = checkedCases % 2 == 0 ? 0.7f : 1.5f,
                    RepetitionPenalty = 1.1f, PresencePenalty = 0.2f, PenaltyLastN = 4,
                };
                var expected = ReferenceChain.Distribution(logits, history, parameters);
                var sampler = new Sampler(parameters, logits.Length);
                var actual = sampler.ComputeDistribution(logits, history);

                var actualProbabilities = new Dictionary<int, double>();
                for (int i = 0; i < actual.Count; i++)
                    actualProbabilities[actual.TokenIds[i]] = actual.Probability(i);
                string label = $"scale {scale} top-k {topK} top-p {topP} min-p {minP} min-keep {parameters.MinKeep}";
                Assert.True(expected.Keys.Order().SequenceEqual(actualProbabilities.Keys.Order()),
                    $"{label}: kept {actualProbabilities.Count} tokens, reference keeps {expected.Count}");
                foreach (var (token, probability) in expected)
                    Assert.True(Math.Abs(probability - actualProbabilities[token]) < 1e-5,
                        $"{label}: token {token} has p = {actualProbabilities[token]}, reference {probability}");
                checkedCases++;
            }
        }
        Assert.Equal(3 * topKs.Length * topPs.Length * minPs.Length, checkedCases);
    }

    [Fact]
    public void TopPWidensItsSearchForLongFlatTails()
    {
        // Logits falling slowly over 4000 tokens: reaching p = 0.999 needs tokens far more than ln(1e4)
        // below the best, which exercises the widening cutoff.
        var logits = new float[4000];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = -0.01f * i;
        foreach (float topP in new[] { 0.5f, 0.999f, 0.9999999f })
        {
            var parameters = NoTruncation with { TopP = topP };
            var expected = ReferenceChain.Distribution(logits, [], parameters);
            Assert.Equal(expected.Count, KeptTokens(parameters, logits).Length);
        }
    }

    [Fact]
    public void TopPOverManyCandidatesMatchesTheReference()
    {
        // 20k tokens with thousands inside the first top-p window: the sampler narrows them by a mass
        // histogram before sorting; the kept set must still be exactly the reference's.
        var random = new SeededRandom(55UL);
        foreach (double scale in new[] { 0.5, 1.5, 3.0 })
        {
            float[] logits = RandomLogits(random, 20_000, scale);
            foreach (float topP in new[] { 0.3f, 0.9f, 0.95f, 0.999f })
            foreach (float minP in new[] { 0f, 0.001f })
            {
                var parameters = NoTruncation with { TopP = topP, MinP = minP, MinKeep = topP < 0.5f ? 50 : 1 };
                var expected = ReferenceChain.Distribution(logits, [], parameters);
                var sampler = new Sampler(parameters, logits.Length);
                var actual = sampler.ComputeDistribution(logits, []);
                Assert.True(expected.Count == actual.Count, $"scale {scale} top-p {topP} min-p {minP}: kept {actual.Count}, reference {expected.Count}");
                for (int i = 0; i < actual.Count; i++)
                    Assert.True(Math.Abs(expected[actual.TokenIds[i]] - actual.Probability(i)) < 1e-6,
                        $"token {actual.TokenIds[i]}: p = {actual.Probability(i)}, reference {expected[actual.TokenIds[i]]}");
                // Best first.
                for (int i = 1; i < actual.Count; i++)
                    Assert.True(logits[actual.TokenIds[i - 1]] >= logits[actual.TokenIds[i]]);
            }
        }
    }

    // ---- logprobs ----

    [Fact]
    public void LogprobsAreTheLogSoftmaxOfTheRawLogits()
    {
        var random = new SeededRandom(8UL);
        float[] logits = RandomLogits(random, 1000, 3);
        double[] logSoftmax = ReferenceChain.LogSoftmax(logits);
        // Penalties, truncation and temperature change the draw but not the reported (raw) logprobs.
        var parameters = new SamplingParams
        {
            Temperature = 0.5f, TopK = 5, RepetitionPenalty = 1.3f, Logprobs = true, TopLogprobs = 4,
        };
        var sampler = new Sampler(parameters, logits.Length);
        int[] history = [1, 2, 3];
        for (int step = 0; step < 20; step++)
        {
            SampledToken sampled = sampler.Sample(logits, history, random);
            Assert.NotNull(sampled.Logprob);
            Assert.Equal(logSoftmax[sampled.TokenId], sampled.Logprob!.Value, 4);

            int[] expectedTop = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(4).ToArray();
            ReadOnlySpan<TokenLogprob> top = sampler.TopLogprobs;
            Assert.Equal(4, top.Length);
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(expectedTop[i], top[i].TokenId);
                Assert.Equal(logSoftmax[expectedTop[i]], top[i].Logprob, 4);
            }
        }
    }

    [Fact]
    public void LogprobsAreAbsentUnlessRequested()
    {
        var sampler = new Sampler(SamplingParams.Default, 10);
        SampledToken sampled = sampler.Sample(TenLogits, [], new SeededRandom(1UL));
        Assert.Null(sampled.Logprob);
        Assert.True(sampler.TopLogprobs.IsEmpty);

        var greedy = new Sampler(SamplingParams.Greedy with { Logprobs = true }, 10);
        SampledToken chosen = greedy.Sample(TenLogits, [], new SeededRandom(1UL));
        Assert.Equal(0, chosen.TokenId);
        Assert.Equal(ReferenceChain.LogSoftmax(TenLogits)[0], chosen.Logprob!.Value, 5);
        Assert.True(greedy.TopLogprobs.IsEmpty);
    }

    // ---- the draw ----

    /// <summary>Returns scripted uniform values and counts how many were taken.</summary>
    sealed class ScriptedRandom(params double[] values) : IRandomSource
    {
        int _next;
        public int Draws => _next;
        public ulong NextUInt64() => throw new InvalidOperationException("the sampler should ask for doubles");
        public double NextDouble() => values[_next++];
    }

    [Fact]
    public void DrawMapsTheUniformValueThroughTheCumulativeDistribution()
    {
        // Probabilities 0.5, 0.3, 0.15, 0.05 (tokens 4 and 5 cut by min-p).
        var sampler = new Sampler(NoTruncation with { Temperature = 1f, MinP = 0.01f }, FourMain.Length);
        (double u, int token)[] cases = [(0.0, 0), (0.49, 0), (0.51, 1), (0.79, 1), (0.81, 2), (0.94, 2), (0.96, 3), (0.999999, 3)];
        foreach (var (u, token) in cases)
        {
            var random = new ScriptedRandom(u);
            Assert.Equal(token, sampler.Sample(FourMain, [], random).TokenId);
            Assert.Equal(1, random.Draws);
        }
    }

    [Fact]
    public void GreedyUsesNoRandomnessAndEveryOtherStepUsesExactlyOne()
    {
        var none = new ScriptedRandom();
        new Sampler(SamplingParams.Greedy, 10).Sample(TenLogits, [], none);
        Assert.Equal(0, none.Draws);

        var one = new ScriptedRandom(0.5);
        new Sampler(SamplingParams.Default with { TopK = 1 }, 10).Sample(TenLogits, [], one);
        Assert.Equal(1, one.Draws);
    }

    // ---- no allocation on the hot path ----

    [Fact]
    public void SamplingAStepAllocatesNothingAfterWarmUp()
    {
        const int size = 32_000;
        float[] logits = RandomLogits(new SeededRandom(4UL), size, 2);
        int[] history = Enumerable.Range(0, 300).Select(i => (i * 7919) % size).ToArray();
        SamplingParams[] configurations =
        [
            SamplingParams.Default,
            SamplingParams.Greedy,
            NoTruncation,
            NoTruncation with { TopP = 0.9f },
            NoTruncation with { MinP = 0.1f },
            SamplingParams.Default with { RepetitionPenalty = 1.1f, FrequencyPenalty = 0.2f, PresencePenalty = 0.1f, PenaltyLastN = -1 },
            SamplingParams.Default with { Logprobs = true, TopLogprobs = 5 },
        ];
        foreach (var parameters in configurations)
        {
            var sampler = new Sampler(parameters, size);
            var random = new SeededRandom(9UL);
            for (int i = 0; i < 50; i++)
                sampler.Sample(logits, history, random);

            long allocated = AllocationMeter.OnCurrentThread(() =>
            {
                for (int i = 0; i < 100; i++)
                    sampler.Sample(logits, history, random);
            });
            Assert.True(allocated == 0, $"{parameters} allocated {allocated} bytes in 100 steps");
        }
    }

    // ---- bad input ----

    [Fact]
    public void BadInputIsRejectedWithAClearError()
    {
        var sampler = new Sampler(SamplingParams.Default with { RepetitionPenalty = 1.1f }, 4);
        var random = new SeededRandom(1UL);
        Assert.Contains("expected 4 logits", Assert.Throws<ArgumentException>(() => sampler.Sample(new float[3], [], random)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => sampler.Sample([0f, float.NaN, 1f, 2f], [], random)).Message);
        Assert.Contains("+infinity", Assert.Throws<ArgumentException>(() => sampler.Sample([0f, float.PositiveInfinity, 1f, 2f], [], random)).Message);
        float[] masked = [float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity];
        Assert.Contains("-infinity", Assert.Throws<ArgumentException>(() => sampler.Sample(masked, [], random)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample([0f, 1f, 2f, 3f], [1, 9], random));
        Assert.Throws<ArgumentNullException>(() => sampler.Sample([0f, 1f, 2f, 3f], [], null!));

        Assert.Contains("TopP", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { TopP = 1.5f }, 4)).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { Temperature = float.NaN }, 4)).Message);
        Assert.Contains("RepetitionPenalty", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { RepetitionPenalty = 0f }, 4)).Message);
        Assert.Contains("TopLogprobs", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { TopLogprobs = 5 }, 4)).Message);
        Assert.Contains("StopTokenIds", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { StopTokenIds = [4] }, 4)).Message);
        Assert.Contains("StopStrings", Assert.Throws<ArgumentException>(() => new Sampler(SamplingParams.Default with { StopStrings = [""] }, 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(SamplingParams.Default, 0));
    }

    [Fact]
    public void DefaultsAreLlamaCppDefaults()
    {
        var p = SamplingParams.Default;
        Assert.Equal((0.8f, 40, 0.95f, 0.05f, 1.0f, 64, 0f, 0f), (p.Temperature, p.TopK, p.TopP, p.MinP, p.RepetitionPenalty, p.PenaltyLastN, p.FrequencyPenalty, p.PresencePenalty));
        Assert.False(p.PenaltiesEnabled);
        Assert.Null(p.Seed);
        Assert.True((p with { StopTokenIds = [2, 7] }).IsStopToken(7));
        Assert.False(p.IsStopToken(7));
    }
}
