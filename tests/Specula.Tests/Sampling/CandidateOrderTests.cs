using Specula.Sampling;
using Xunit;

namespace Specula.Tests.Sampling;

public class CandidateOrderTests
{
    [Fact]
    public void KeysOrderByLogitDescendingThenIdAscending()
    {
        (float logit, int id)[] bestFirst =
        [
            (float.MaxValue, 9), (3.5f, 0), (3.5f, 2), (1e-30f, 1), (0f, 3), (-0f, 4), (0f, 5), (-1e-30f, 0),
            (-2f, 7), (float.MinValue, 1), (float.NegativeInfinity, 0), (float.NegativeInfinity, 8),
        ];
        for (int i = 1; i < bestFirst.Length; i++)
        {
            ulong before = CandidateKey.Encode(bestFirst[i - 1].logit, bestFirst[i - 1].id);
            ulong after = CandidateKey.Encode(bestFirst[i].logit, bestFirst[i].id);
            Assert.True(before < after, $"({bestFirst[i - 1].logit}, {bestFirst[i - 1].id}) should come before ({bestFirst[i].logit}, {bestFirst[i].id})");
            Assert.Equal(bestFirst[i].id, CandidateKey.TokenId(after));
        }
    }

    [Theory]
    [InlineData(100)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(50_000)]
    public void SortBestFirstMatchesAComparisonSortOfTheKeys(int count)
    {
        var random = new SeededRandom((ulong)count);
        var keys = new ulong[count];
        for (int id = 0; id < count; id++)
        {
            // Few distinct logits, so ties are common, plus signed zeros and masked tokens.
            float logit = (id % 97) switch
            {
                0 => float.NegativeInfinity,
                1 => -0f,
                2 => 0f,
                _ => random.NextInt32(300) / 8f - 20f,
            };
            keys[id] = CandidateKey.Encode(logit, id); // ascending ids, as gathering produces them
        }
        ulong[] expected = (ulong[])keys.Clone();
        Array.Sort(expected);

        CandidateSort.SortBestFirst(keys, new ulong[count]);
        Assert.Equal(expected, keys);
    }

    [Fact]
    public void TopKSelectorReturnsTheBestKBestFirst()
    {
        var random = new SeededRandom(3UL);
        foreach (int size in new[] { 1, 5, 17, 1000, 10_007 })
        foreach (int k in new[] { 1, 2, 40, 999, size })
        {
            var logits = new float[size];
            for (int i = 0; i < size; i++)
                logits[i] = random.NextInt32(50) / 4f; // many ties
            int[] expected = Enumerable.Range(0, size).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(k).ToArray();
            var ids = new int[Math.Min(k, size)];
            int count = TopKSelector.Select(logits, k, new ulong[Math.Min(k, size)], ids);
            Assert.Equal(Math.Min(k, size), count);
            Assert.Equal(expected, ids);
        }
    }
}
