using Specula.Runtime;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>Token trees, fork, truncate and compact: each must give exactly the logits of the equivalent
/// plain chain (bit for bit), with an F32 and with an F16 KV cache.</summary>
public class TreeAndCacheTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    // 18 tokens: the prefix ends inside the second 16-token block, so forks share a partial block.
    static readonly int[] Prefix = [1, 300, 400, 500, 260, 270, 280, 290, 17, 99, 451, 3, 77, 312, 205, 64, 128, 400];

    /// <summary>Logits after prefix + path, computed as a plain chain in a fresh runner.</summary>
    float[] ChainLogits(IReadOnlyList<int> path, KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        return runner.Prefill(seq, Prefix.Concat(path).ToArray()).ToArray();
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void TreeBatchGivesEachNodeTheLogitsOfItsPathAlone(KvCacheType kvType)
    {
        // Tree (local index: token, parent):
        //   0:10 (-1)   1:11 (0)   2:12 (0)   3:13 (1)   4:14 (-1)   5:15 (2)   6:16 (3)
        int[] tokens = [10, 11, 12, 13, 14, 15, 16];
        int[] parents = [-1, 0, 0, 1, -1, 2, 3];
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Prefix);

        var batch = new ForwardBatch(16);
        var depth = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            depth[i] = parents[i] < 0 ? 0 : depth[parents[i]] + 1;
            batch.AddTreeNode(seq, tokens[i], Prefix.Length + depth[i], parents[i], wantsLogits: true);
        }
        runner.Forward(batch);

        for (int i = 0; i < tokens.Length; i++)
        {
            var path = new List<int>();
            for (int node = i; node >= 0; node = parents[node]) path.Insert(0, tokens[node]);
            Assert.Equal(ChainLogits(path, kvType), runner.Logits(i).ToArray());
        }
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void CompactKeepsExactlyTheAcceptedPath(KvCacheType kvType)
    {
        int[] tokens = [10, 11, 12, 13, 14, 15, 16];
        int[] parents = [-1, 0, 0, 1, -1, 2, 3];
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Prefix);
        var batch = new ForwardBatch(16);
        var depth = new int[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            depth[i] = parents[i] < 0 ? 0 : depth[parents[i]] + 1;
            batch.AddTreeNode(seq, tokens[i], Prefix.Length + depth[i], parents[i]);
        }
        runner.Forward(batch);
        Assert.Equal(Prefix.Length + tokens.Length, runner.Cache.Length(seq));

        // Accept the path 0 -> 2 -> 5 (tokens 10, 12, 15): cache rows Prefix.Length + {0, 2, 5}.
        runner.Cache.Compact(seq, Prefix.Length, [Prefix.Length, Prefix.Length + 2, Prefix.Length + 5]);
        Assert.Equal(Prefix.Length + 3, runner.Cache.Length(seq));

        var after = runner.Decode(seq, 42).ToArray();
        Assert.Equal(ChainLogits([10, 12, 15, 42], kvType), after);
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void TruncateThenContinueEqualsNeverHavingDecodedTheRemovedTokens(KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Prefix);
        runner.ForwardAll(seq, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]); // 34 rows: a third block
        int freeBefore = runner.Cache.FreeBlockCount;
        runner.Cache.Truncate(seq, Prefix.Length + 2);
        Assert.True(runner.Cache.FreeBlockCount > freeBefore, "truncating past a block boundary releases the block");
        var continued = runner.Decode(seq, 99).ToArray();
        Assert.Equal(ChainLogits([5, 6, 99], kvType), continued);
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void TwoForkedSequencesEqualTwoIndependentOnes(KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int a = runner.Cache.CreateSequence();
        runner.Prefill(a, Prefix);
        int freeBeforeFork = runner.Cache.FreeBlockCount;
        int b = runner.Cache.Fork(a);
        Assert.Equal(freeBeforeFork, runner.Cache.FreeBlockCount); // the prefix is shared, not copied
        var table = runner.Cache.Table(b);
        for (int i = 0; i < table.BlockCount; i++) Assert.Equal(2, runner.Cache.ReferenceCount(table.Block(i)));

        // Continue both, in one batch and then separately, with different tokens.
        var batch = new ForwardBatch(8);
        batch.Add(a, 20, Prefix.Length, wantsLogits: true);
        batch.Add(b, 30, Prefix.Length, wantsLogits: true);
        runner.Forward(batch);
        var a1 = runner.Logits(0).ToArray();
        var b1 = runner.Logits(1).ToArray();
        var a2 = runner.Decode(a, 21).ToArray();
        var b2 = runner.Decode(b, 31).ToArray();

        Assert.Equal(ChainLogits([20], kvType), a1);
        Assert.Equal(ChainLogits([30], kvType), b1);
        Assert.Equal(ChainLogits([20, 21], kvType), a2);
        Assert.Equal(ChainLogits([30, 31], kvType), b2);
        // Only the last, partial block was copied on write; full blocks stay shared.
        Assert.Equal(2, runner.Cache.ReferenceCount(runner.Cache.Table(a).Block(0)));
        Assert.Equal(runner.Cache.Table(a).Block(0), runner.Cache.Table(b).Block(0));
        Assert.NotEqual(runner.Cache.Table(a).Block(1), runner.Cache.Table(b).Block(1));

        runner.Cache.Free(a);
        runner.Cache.Free(b);
        Assert.Equal(runner.Cache.BlockCount, runner.Cache.FreeBlockCount);
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void ForkThenTruncateOfOneSequenceLeavesTheOtherIntact(KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int a = runner.Cache.CreateSequence();
        runner.Prefill(a, Prefix);
        int b = runner.Cache.Fork(a);
        runner.Cache.Truncate(b, 5);
        runner.ForwardAll(b, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]); // rewrites rows 5..19 of b only
        Assert.Equal(ChainLogits([44], kvType), runner.Decode(a, 44).ToArray());
    }
}
