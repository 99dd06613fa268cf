using Specula.Kernels;
using Specula.Runtime;
using Specula.Tests.Kernels;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>Properties of the attention kernel that the model-level tests do not isolate: stale cache rows
/// are never read into a result, and the sixteen-at-once lane sums equal the one-at-a-time ones.</summary>
[Collection(KernelOptionsCollection.Name)]
public unsafe class AttentionKernelTests
{
    static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    static float[] Attend(KvCache cache, int visible, float[] query, int kvHeads, int group, int headSize)
    {
        var table = cache.Table(0);
        var output = new float[kvHeads * group * headSize];
        var scratch = new Attention.Scratch(group, cache.MaxSequenceLength);
        for (int h = 0; h < kvHeads; h++)
            Attention.Group(query.AsSpan(h * group * headSize, group * headSize), group, headSize, 0.125f, cache, table, 0, h,
                headSize, visible, [], scratch, output.AsSpan(h * group * headSize, group * headSize));
        return output;
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void StaleNaNInCacheRowsPastTheVisibleOnesDoesNotReachTheResult(int width)
    {
        using var scope = new VectorWidthScope(width);
        const int kvHeads = 2, group = 2, headSize = 64, visible = 21; // the second unit holds 5 visible rows
        var query = Random(kvHeads * group * headSize, 1);
        var clean = new KvCache(1, kvHeads, headSize, headSize, 64, 64);
        var dirty = new KvCache(1, kvHeads, headSize, headSize, 64, 64);
        foreach (var cache in new[] { clean, dirty }) cache.Grow(cache.Table(cache.CreateSequence()), 32);
        var nan = new float[kvHeads * headSize];
        Array.Fill(nan, float.NaN);
        for (int row = 0; row < 32; row++)
        {
            var k = Random(kvHeads * headSize, 10 + row);
            var v = Random(kvHeads * headSize, 100 + row);
            clean.WriteRow(0, clean.Table(0), row, k, v);
            if (row < visible) dirty.WriteRow(0, dirty.Table(0), row, k, v);
            else dirty.WriteRow(0, dirty.Table(0), row, nan, nan); // a discarded (truncated) row
        }
        var expected = Attend(clean, visible, query, kvHeads, group, headSize);
        Assert.All(expected, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(expected, Attend(dirty, visible, query, kvHeads, group, headSize));
    }

    [Fact]
    public void SixteenLaneSumsAtOnceEqualOneAtATime()
    {
        var values = Random(16 * 16, 5);
        // Magnitudes far apart, so any other addition order rounds differently.
        for (int i = 0; i < values.Length; i++) values[i] *= MathF.Pow(2f, (i * 7) % 40 - 20);
        var expected = new float[16];
        var actual = new float[16];
        fixed (float* v = values)
        fixed (float* e = expected, a = actual)
        {
            var lanes = stackalloc Lanes512[16];
            for (int i = 0; i < 16; i++)
            {
                lanes[i] = Lanes512.Load(v + 16 * i);
                e[i] = LaneSum.Of16(System.Runtime.Intrinsics.Vector512.Load(v + 16 * i));
            }
            Lanes512.SumEach(lanes, a);
        }
        Assert.Equal(expected, actual);
        // And the order is not a plain left-to-right sum (the test would not notice a wrong order otherwise).
        float sequential = 0;
        for (int i = 0; i < 16; i++) sequential += values[i];
        Assert.NotEqual(sequential, expected[0]);
    }
}
