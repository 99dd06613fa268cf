using Specula.Runtime;
using Specula.Tests.Kernels;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>The F16 cache's rounding and the blockwise (online-softmax) attention kernel against a plain
/// double-precision softmax attention over the same half-rounded keys and values.</summary>
[Collection(KernelOptionsCollection.Name)]
public unsafe class BlockwiseAttentionTests
{
    /// <summary>Worst error allowed, relative to the largest |value| attended: the output is a convex
    /// combination of value rows, and float scores, exponentials and sums over a few hundred rows stay near
    /// 1e-6 of it. A wrong row, a missed rescale or a dropped row costs far more.</summary>
    const double Tolerance = 1e-5;

    static float[] Random(Random random, int count, float magnitude)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * magnitude);
        return values;
    }

    static double Half(float x) => (double)(float)(Half)x;

    /// <summary>A one-layer F16 cache holding <paramref name="length"/> random rows, plus the float rows written.</summary>
    sealed class Filled
    {
        public required KvCache Cache;
        public required float[][] Keys, Values; // per row: all heads
    }

    static Filled Fill(int kvHeads, int headSize, int valueSize, int length, int blockSize, int seed, Func<int, float>? keyGain = null)
    {
        var random = new Random(seed);
        var cache = new KvCache(1, kvHeads, headSize, valueSize, length + 64, length + 64, blockSize: blockSize, type: KvCacheType.F16);
        int seq = cache.CreateSequence();
        var table = cache.Table(seq);
        cache.Grow(table, length);
        var keys = new float[length][];
        var values = new float[length][];
        for (int row = 0; row < length; row++)
        {
            keys[row] = Random(random, kvHeads * headSize, keyGain?.Invoke(row) ?? 1f);
            values[row] = Random(random, kvHeads * valueSize, 2f);
            cache.WriteRow(0, table, row, keys[row], values[row]);
        }
        return new Filled { Cache = cache, Keys = keys, Values = values };
    }

    static float[] Attend(Filled f, float[] queries, int group, float scale, int prefix, int[] extra)
    {
        var cache = f.Cache;
        int kvHeads = cache.KvHeadCount, headSize = cache.KeyLength, valueSize = cache.ValueLength;
        var output = new float[kvHeads * group * valueSize];
        var scratch = new BlockwiseAttention.Scratch(group, headSize, valueSize);
        for (int h = 0; h < kvHeads; h++)
            BlockwiseAttention.Group(queries.AsSpan(h * group * headSize, group * headSize), group, headSize, scale, cache, cache.Table(0), 0, h,
                valueSize, prefix, extra, scratch, output.AsSpan(h * group * valueSize, group * valueSize));
        return output;
    }

    /// <summary>softmax(scale · q·k) · v in double over the half-rounded rows; returns the worst error of
    /// <paramref name="actual"/> relative to the largest |value| seen.</summary>
    static double WorstRelativeError(Filled f, float[] queries, int group, float scale, int[] visible, float[] actual)
    {
        int kvHeads = f.Cache.KvHeadCount, headSize = f.Cache.KeyLength, valueSize = f.Cache.ValueLength;
        double worst = 0;
        for (int h = 0; h < kvHeads; h++)
            for (int g = 0; g < group; g++)
            {
                int head = h * group + g;
                var scores = new double[visible.Length];
                double max = double.NegativeInfinity;
                for (int k = 0; k < visible.Length; k++)
                {
                    double dot = 0;
                    for (int i = 0; i < headSize; i++) dot += queries[head * headSize + i] * Half(f.Keys[visible[k]][h * headSize + i]);
                    scores[k] = scale * dot;
                    max = Math.Max(max, scores[k]);
                }
                double sum = 0;
                for (int k = 0; k < visible.Length; k++) sum += scores[k] = Math.Exp(scores[k] - max);
                double largest = 0;
                for (int d = 0; d < valueSize; d++)
                {
                    double expected = 0;
                    for (int k = 0; k < visible.Length; k++)
                    {
                        double v = Half(f.Values[visible[k]][h * valueSize + d]);
                        expected += scores[k] / sum * v;
                        largest = Math.Max(largest, Math.Abs(v));
                    }
                    double error = Math.Abs(actual[head * valueSize + d] - expected);
                    Assert.False(double.IsNaN(actual[head * valueSize + d]), $"head {head} dimension {d} is NaN");
                    worst = Math.Max(worst, error / largest);
                }
            }
        return worst;
    }

    [Theory]
    // head size, value size, query heads per key/value head, key/value heads, visible rows, cache block size
    [InlineData(64, 64, 1, 1, 1, 16)]
    [InlineData(64, 64, 2, 2, 15, 16)]
    [InlineData(64, 64, 4, 1, 32, 16)]
    [InlineData(64, 64, 4, 2, 33, 16)]
    [InlineData(128, 128, 1, 2, 31, 16)]
    [InlineData(128, 128, 4, 2, 257, 16)]
    [InlineData(128, 128, 8, 1, 100, 64)]
    [InlineData(80, 80, 3, 2, 95, 32)]
    [InlineData(80, 80, 5, 1, 64, 16)]
    [InlineData(72, 40, 2, 3, 70, 16)]  // head sizes not multiples of 16, keys and values of different sizes
    [InlineData(8, 8, 2, 4, 40, 16)]    // stories260K's head size
    public void MatchesDoublePrecisionSoftmaxAttentionOverTheHalfRoundedRows(
        int headSize, int valueSize, int group, int kvHeads, int length, int blockSize)
    {
        var f = Fill(kvHeads, headSize, valueSize, length, blockSize, seed: headSize * 1000 + length);
        var queries = Random(new Random(length), kvHeads * group * headSize, 2f);
        float scale = 1f / MathF.Sqrt(headSize);
        var actual = Attend(f, queries, group, scale, length, []);
        var visible = Enumerable.Range(0, length).ToArray();
        double worst = WorstRelativeError(f, queries, group, scale, visible, actual);
        Assert.True(worst <= Tolerance, $"worst error {worst:E2} of the largest |value| exceeds {Tolerance:E0}");
    }

    [Theory]
    [InlineData(64, 16)]
    [InlineData(128, 32)]
    public void TreeRowsAttendExactlyTheListedRows(int headSize, int blockSize)
    {
        const int length = 90, prefix = 37, group = 2, kvHeads = 2;
        int[] extra = [40, 41, 55, 70, 71, 72, 89]; // ancestors of a tree node, past the contiguous prefix
        var f = Fill(kvHeads, headSize, headSize, length, blockSize, seed: 11);
        var queries = Random(new Random(12), kvHeads * group * headSize, 2f);
        float scale = 1f / MathF.Sqrt(headSize);
        var actual = Attend(f, queries, group, scale, prefix, extra);
        var visible = Enumerable.Range(0, prefix).Concat(extra).ToArray();
        double worst = WorstRelativeError(f, queries, group, scale, visible, actual);
        Assert.True(worst <= Tolerance, $"worst error {worst:E2} exceeds {Tolerance:E0}");
    }

    /// <summary>Keys growing along the sequence make each tile's maximum exceed the last, so every tile
    /// rescales what came before; sharp scores (up to ~100 apart) take exponentials down to underflow.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RescalesWhenALaterTileHoldsTheMaximum(bool increasing)
    {
        const int length = 200, headSize = 64, group = 2, kvHeads = 1;
        var f = Fill(kvHeads, headSize, headSize, length, 16, seed: 21, row => increasing ? 0.2f + row / 40f : 5f - row / 50f);
        var queries = Random(new Random(22), kvHeads * group * headSize, 3f);
        for (int i = 0; i < headSize; i++) queries[i] = MathF.Abs(queries[i]); // head 0 aligned with the keys' growth
        var keysAligned = f.Keys;
        for (int row = 0; row < length; row++)
            for (int i = 0; i < headSize; i++) keysAligned[row][i] = MathF.Abs(keysAligned[row][i]);
        var table = f.Cache.Table(0);
        for (int row = 0; row < length; row++) f.Cache.WriteRow(0, table, row, keysAligned[row], f.Values[row]);
        float scale = 1f / MathF.Sqrt(headSize);
        var actual = Attend(f, queries, group, scale, length, []);
        double worst = WorstRelativeError(f, queries, group, scale, Enumerable.Range(0, length).ToArray(), actual);
        Assert.True(worst <= Tolerance, $"worst error {worst:E2} exceeds {Tolerance:E0}");
    }

    [Fact]
    public void EveryVectorWidthGivesTheSameBits()
    {
        var f = Fill(2, 80, 80, 77, 16, seed: 31);
        var queries = Random(new Random(32), 2 * 3 * 80, 2f);
        float[]? first = null;
        foreach (int width in new[] { 512, 256, 128 })
        {
            using var scope = new VectorWidthScope(width);
            var result = Attend(f, queries, 3, 0.11f, 60, [63, 70, 76]);
            if (first == null) first = result;
            else Assert.Equal(first, result);
        }
    }

    [Fact]
    public void StaleNaNInRowsPastTheVisibleOnesDoesNotReachTheResult()
    {
        const int headSize = 64, visible = 21;
        var clean = Fill(2, headSize, headSize, 32, 16, seed: 41);
        var dirty = Fill(2, headSize, headSize, 32, 16, seed: 41);
        var nan = new float[2 * headSize];
        Array.Fill(nan, float.NaN);
        for (int row = visible; row < 32; row++) dirty.Cache.WriteRow(0, dirty.Cache.Table(0), row, nan, nan);
        var queries = Random(new Random(42), 2 * 2 * headSize, 1f);
        var expected = Attend(clean, queries, 2, 0.125f, visible, []);
        Assert.All(expected, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(expected, Attend(dirty, queries, 2, 0.125f, visible, []));
    }

    [Fact]
    public void AttentionAllocatesNothing()
    {
        var f = Fill(2, 64, 64, 100, 16, seed: 51);
        var queries = Random(new Random(52), 2 * 4 * 64, 1f);
        var output = new float[2 * 4 * 64];
        var scratch = new BlockwiseAttention.Scratch(4, 64, 64);
        int[] extra = [90, 95];
        var table = f.Cache.Table(0);
        for (int i = 0; i < 3; i++)
            BlockwiseAttention.Group(queries.AsSpan(0, 4 * 64), 4, 64, 0.125f, f.Cache, table, 0, 1, 64, 80, extra, scratch, output);
        long allocated = AllocationMeter.OnCurrentThread(() =>
        {
            for (int i = 0; i < 10; i++)
                BlockwiseAttention.Group(queries.AsSpan(0, 4 * 64), 4, 64, 0.125f, f.Cache, table, 0, i & 1, 64, 80 + i, extra.AsSpan(0, i & 1), scratch, output);
        });
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void HalfRowConversionIsExactForEveryHalf(int width)
    {
        using var scope = new VectorWidthScope(width);
        // All 65536 bit patterns, in rows of 70 (whole vectors and a scalar tail), padded with zeros to 80.
        var halves = new ushort[65536 + 70];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        var floats = new float[80];
        fixed (ushort* h = halves)
        fixed (float* f = floats)
        {
            for (int start = 0; start < 65536; start += 70)
            {
                floats.AsSpan().Fill(float.NaN);
                switch (Specula.Kernels.Lanes16.Current)
                {
                    case Specula.Kernels.Lanes16.Width.W512: Specula.Kernels.HalfConversion.Row<Specula.Kernels.Lanes512>(h + start, 70, f, 80); break;
                    case Specula.Kernels.Lanes16.Width.W256: Specula.Kernels.HalfConversion.Row<Specula.Kernels.Lanes256>(h + start, 70, f, 80); break;
                    default: Specula.Kernels.HalfConversion.Row<Specula.Kernels.Lanes128>(h + start, 70, f, 80); break;
                }
                for (int i = 0; i < 70; i++)
                {
                    float expected = (float)BitConverter.UInt16BitsToHalf(halves[start + i]);
                    if (float.IsNaN(expected)) Assert.True(float.IsNaN(floats[i]), $"half 0x{halves[start + i]:X4} is NaN");
                    else Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(floats[i]));
                }
                for (int i = 70; i < 80; i++) Assert.Equal(0f, floats[i]);
            }
        }
    }

    [Fact]
    public void CacheRowsAreRoundedToNearestHalfTiesToEven()
    {
        float ulpAtOne = MathF.Pow(2, -10);
        float[] inputs =
        [
            1f + ulpAtOne / 2,          // tie between 1 (even) and 1 + ulp: 1
            1f + 3 * ulpAtOne / 2,      // tie between 1 + ulp and 1 + 2 ulp (even): 1 + 2 ulp
            1f + ulpAtOne * 0.51f,      // above the tie: 1 + ulp
            -(1f + ulpAtOne * 0.49f),   // below the tie: -1
            65519f,                     // below the tie at the largest half: 65504
            65520f,                     // tie past the largest half: infinity
            MathF.Pow(2, -25),          // half the smallest subnormal, a tie with 0 (even): 0
            3 * MathF.Pow(2, -25),      // tie between 1 and 2 subnormal steps: 2 steps
            float.NaN,
        ];
        ushort[] expected = [0x3C00, 0x3C02, 0x3C01, 0xBC00, 0x7BFF, 0x7C00, 0x0000, 0x0002];
        var cache = new KvCache(1, 1, inputs.Length, inputs.Length, 16, 16, type: KvCacheType.F16);
        var table = cache.Table(cache.CreateSequence());
        cache.Grow(table, 1);
        cache.WriteRow(0, table, 0, inputs, inputs);
        var keys = cache.HalfKeys(0).AsSpan((int)cache.KeyIndex(table, 0, 0), inputs.Length);
        var values = cache.HalfValues(0).AsSpan((int)cache.HalfValueIndex(table, 0, 0), inputs.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], keys[i]);
            Assert.Equal(expected[i], values[i]);
        }
        Assert.True((keys[^1] & 0x7C00) == 0x7C00 && (keys[^1] & 0x3FF) != 0, "NaN stays NaN");
        Assert.Equal(KvCacheType.F16, cache.Type);
    }

    [Fact]
    public void HalfCacheAllocatesHalfTheMemoryOfAFloatCache()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var single = new KvCache(4, 2, 64, 64, 4096, 4096);
        long singleBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        var half = new KvCache(4, 2, 64, 64, 4096, 4096, type: KvCacheType.F16);
        long halfBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        long rowBytes = 4L * 4096 * (2 * 64 + 2 * 64); // layers x rows x (keys + values), 1 byte each
        Assert.InRange(singleBytes, 4 * rowBytes, 4 * rowBytes + 65536);
        Assert.InRange(halfBytes, 2 * rowBytes, 2 * rowBytes + 65536);
        GC.KeepAlive(single);
        GC.KeepAlive(half);
    }
}
