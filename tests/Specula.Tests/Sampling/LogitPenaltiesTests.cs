using Specula.Sampling;
using Xunit;

namespace Specula.Tests.Sampling;

public class LogitPenaltiesTests
{
    [Fact]
    public void PenaltiesMatchHandComputedValues()
    {
        float[] logits = [2.0f, -1.0f, 0.5f, 3.0f, 0.0f];
        int[] window = [0, 1, 0, 4, 0];
        var counts = new int[logits.Length];

        LogitPenalties.Apply(logits, window, counts, repeat: 1.5f, frequency: 0.1f, presence: 0.2f);

        // token 0: positive, 3 occurrences: 2 / 1.5 - (3 * 0.1 + 0.2) = 0.8333...
        Assert.Equal(2.0 / 1.5 - 0.5, logits[0], 5);
        // token 1: negative, once: -1 * 1.5 - (0.1 + 0.2) = -1.8
        Assert.Equal(-1.8, logits[1], 5);
        // tokens 2 and 3 are not in the window
        Assert.Equal(0.5f, logits[2]);
        Assert.Equal(3.0f, logits[3]);
        // token 4: zero counts as non-positive: 0 * 1.5 - 0.3 = -0.3
        Assert.Equal(-0.3, logits[4], 5);
        Assert.All(counts, c => Assert.Equal(0, c));
    }

    [Fact]
    public void RepetitionPenaltyAloneDividesPositiveAndMultipliesNegativeLogits()
    {
        float[] logits = [4.0f, -2.0f, 1.0f];
        LogitPenalties.Apply(logits, [0, 1, 0, 1], new int[3], repeat: 2f, frequency: 0f, presence: 0f);
        // Applied once per distinct token however often it occurs.
        Assert.Equal([2.0f, -4.0f, 1.0f], logits);
    }

    [Fact]
    public void WindowIsTheTailOfTheHistory()
    {
        int[] history = [1, 2, 3, 4, 5];
        Assert.Equal(history, LogitPenalties.Window(history, -1).ToArray());
        Assert.Empty(LogitPenalties.Window(history, 0).ToArray());
        Assert.Equal([4, 5], LogitPenalties.Window(history, 2).ToArray());
        Assert.Equal(history, LogitPenalties.Window(history, 64).ToArray());
    }

    [Fact]
    public void OutOfRangeTokenIsRejectedAndLeavesScratchClean()
    {
        float[] logits = [1f, 2f, 3f];
        var counts = new int[3];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            LogitPenalties.Apply(logits, [0, 7], counts, 1.1f, 0f, 0f));
        Assert.Contains("7", error.Message);
        Assert.All(counts, c => Assert.Equal(0, c));
        Assert.Equal([1f, 2f, 3f], logits);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogitPenalties.Apply(logits, [-1], counts, 1.1f, 0f, 0f));
    }

    [Fact]
    public void SamplerAppliesPenaltiesOnlyInsideTheWindow()
    {
        float[] logits = [5.0f, 4.9f, 1.0f];
        // Token 0 in the window: 5 / 1.1 = 4.545 < 4.9, so greedy moves to token 1.
        var penalised = new Sampler(SamplingParams.Greedy with { RepetitionPenalty = 1.1f, PenaltyLastN = 2 }, 3);
        Assert.Equal(1, penalised.Sample(logits, [2, 0], new SeededRandom(1UL)).TokenId);
        // Token 0 has left the two-token window: no penalty, token 0 wins.
        Assert.Equal(0, penalised.Sample(logits, [0, 2, 2], new SeededRandom(1UL)).TokenId);
        // PenaltyLastN = 0 turns the penalties off.
        var off = new Sampler(SamplingParams.Greedy with { RepetitionPenalty = 1.1f, PenaltyLastN = 0 }, 3);
        Assert.Equal(0, off.Sample(logits, [0], new SeededRandom(1UL)).TokenId);
    }

    [Fact]
    public void SamplerDistributionIsTheSoftmaxOfThePenalisedLogits()
    {
        float[] logits = [1.0f, 0.5f, -0.5f, 2.0f];
        var parameters = new SamplingParams
        {
            Temperature = 0.5f, TopK = 0, TopP = 1f, MinP = 0f,
            RepetitionPenalty = 1.25f, FrequencyPenalty = 0.3f, PresencePenalty = 0.4f, PenaltyLastN = -1,
        };
        var sampler = new Sampler(parameters, 4);
        var distribution = sampler.ComputeDistribution(logits, [3, 2, 3]);

        // Hand-penalised: token 3 twice: 2 / 1.25 - (0.6 + 0.4) = 0.6; token 2 once: -0.5 * 1.25 - 0.7 = -1.325.
        double[] penalised = [1.0, 0.5, -1.325, 0.6];
        double[] expected = Softmax(penalised.Select(z => z / 0.5).ToArray());
        for (int token = 0; token < 4; token++)
            Assert.Equal(expected[token], distribution.ProbabilityOfToken(token), 5);
    }

    static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
