using Specula.Sampling;
using Xunit;

namespace Specula.Tests.Sampling;

public class SeededRandomTests
{
    [Fact]
    public void XoshiroReproducesThePublishedOutputsFromState1234()
    {
        // Published reference outputs of xoshiro256** from the state {1, 2, 3, 4}.
        ulong[] expected =
        [
            11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
            607988272756665600, 16172922978634559625, 8476171486693032832,
            10595114339597558777, 2904607092377533576,
        ];
        var random = SeededRandom.FromState(1, 2, 3, 4);
        foreach (ulong value in expected)
            Assert.Equal(value, random.NextUInt64());
    }

    [Fact]
    public void SplitMix64ReproducesThePublishedOutputsForSeed1234567()
    {
        ulong[] expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821];
        var splitMix = new SplitMix64(1234567);
        foreach (ulong value in expected)
            Assert.Equal(value, splitMix.Next());
    }

    [Fact]
    public void SeedingExpandsTheSeedWithSplitMix64()
    {
        var expander = new SplitMix64(42);
        var direct = SeededRandom.FromState(expander.Next(), expander.Next(), expander.Next(), expander.Next());
        var seeded = new SeededRandom(42UL);
        for (int i = 0; i < 16; i++)
            Assert.Equal(direct.NextUInt64(), seeded.NextUInt64());
    }

    [Fact]
    public void SameSeedGivesSameSequenceAndDifferentSeedsDiffer()
    {
        var a = new SeededRandom(7L);
        var b = new SeededRandom(7L);
        var c = new SeededRandom(8L);
        int equalToOther = 0;
        for (int i = 0; i < 1000; i++)
        {
            ulong x = a.NextUInt64();
            Assert.Equal(x, b.NextUInt64());
            if (x == c.NextUInt64())
                equalToOther++;
        }
        Assert.Equal(0, equalToOther);
    }

    [Fact]
    public void NegativeSeedUsesTheSameBitsAsItsUnsignedValue()
    {
        var signed = new SeededRandom(-1L);
        var unsigned = new SeededRandom(ulong.MaxValue);
        Assert.Equal(unsigned.NextUInt64(), signed.NextUInt64());
    }

    [Fact]
    public void NextDoubleStaysInTheUnitIntervalAndHasMeanOneHalf()
    {
        var random = new SeededRandom(123UL);
        double sum = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++)
        {
            double u = random.NextDouble();
            Assert.InRange(u, 0.0, Math.BitDecrement(1.0));
            sum += u;
        }
        // Standard error of the mean is sqrt(1/12/n) ~ 0.00065; allow 5 of them.
        Assert.InRange(sum / n, 0.5 - 0.0033, 0.5 + 0.0033);
    }

    [Fact]
    public void InterfaceDefaultNextDoubleMatchesTheGeneratorsOwn()
    {
        IRandomSource viaInterface = new SeededRandom(99UL);
        var direct = new SeededRandom(99UL);
        for (int i = 0; i < 100; i++)
            Assert.Equal(direct.NextDouble(), viaInterface.NextDouble());
    }

    [Fact]
    public void NextInt32IsUniformOverItsRange()
    {
        var random = new SeededRandom(5UL);
        const int bins = 7, n = 70_000;
        var counts = new int[bins];
        for (int i = 0; i < n; i++)
            counts[random.NextInt32(bins)]++;
        double expected = n / (double)bins;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < ChiSquare.Critical(bins - 1), $"chi-square {chiSquare:F2} exceeds {ChiSquare.Critical(bins - 1):F2}");
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt32(0));
    }

    [Fact]
    public void ForkGivesAStreamUnlikeTheParents()
    {
        var parent = new SeededRandom(11UL);
        var child = parent.Fork();
        var parentValues = Enumerable.Range(0, 100).Select(_ => parent.NextUInt64()).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, 100).Select(_ => child.NextUInt64()), parentValues.Contains);

        var again = new SeededRandom(11UL).Fork();
        Assert.Equal(new SeededRandom(11UL).Fork().NextUInt64(), again.NextUInt64());
    }

    [Fact]
    public void AllZeroStateIsRejected()
    {
        Assert.Throws<ArgumentException>(() => SeededRandom.FromState(0, 0, 0, 0));
    }

    [Fact]
    public void NullSeedDrawsFromEntropyAndGivesDifferentStreams()
    {
        var a = SeededRandom.FromSeedOrEntropy(null);
        var b = SeededRandom.FromSeedOrEntropy(null);
        Assert.NotEqual(a.NextUInt64(), b.NextUInt64());
        Assert.Equal(new SeededRandom(3L).NextUInt64(), SeededRandom.FromSeedOrEntropy(3).NextUInt64());
    }
}
