using Specula.Runtime;
using Xunit;

namespace Specula.Tests.Runtime;

public class RunnerErrorTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    [Fact]
    public void GrowingPastTheContextThrowsContextOverflowAndLeavesTheSequenceUnchanged()
    {
        var runner = fixture.NewRunner();
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Enumerable.Repeat(5, runner.ContextLength - 1).ToArray());
        runner.Decode(seq, 6);
        var error = Assert.Throws<ContextOverflowException>(() => runner.Decode(seq, 7));
        Assert.Contains("context length", error.Message);
        Assert.Equal(runner.ContextLength, runner.Cache.Length(seq));
    }

    [Fact]
    public void RunningOutOfKvBlocksThrowsKvCacheFull()
    {
        var runner = fixture.NewRunner(kvTokens: 32);
        int a = runner.Cache.CreateSequence();
        int b = runner.Cache.CreateSequence();
        runner.Prefill(a, Enumerable.Repeat(5, 20).ToArray());
        var error = Assert.Throws<KvCacheFullException>(() => runner.Prefill(b, Enumerable.Repeat(5, 20).ToArray()));
        Assert.Contains("KV cache full", error.Message);
        Assert.Equal(0, runner.Cache.Length(b));
    }

    [Fact]
    public void BadBatchesAreRejectedWithClearErrors()
    {
        var runner = fixture.NewRunner();
        int seq = runner.Cache.CreateSequence();
        var batch = new ForwardBatch(4);
        batch.Add(seq + 5, 1, 0);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => runner.Forward(batch)).Message);

        batch.Clear();
        batch.Add(seq, 100_000, 0);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => runner.Forward(batch)).Message);
        Assert.Equal(0, runner.Cache.Length(seq));

        batch.Clear();
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.AddTreeNode(seq, 1, 0, parent: 0));
        Assert.Throws<ArgumentException>(() => runner.Forward(batch)); // empty
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void ADecodeStepAllocatesNothing(KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, [1, 2, 3]);
        var batch = new ForwardBatch(4);
        for (int warmup = 0; warmup < 3; warmup++)
        {
            batch.Clear();
            batch.Add(seq, 10 + warmup, runner.Cache.Length(seq), wantsLogits: true);
            runner.Forward(batch);
        }
        long allocated = AllocationMeter.OnCurrentThread(() =>
        {
            for (int step = 0; step < 5; step++)
            {
                batch.Clear();
                batch.Add(seq, 20 + step, runner.Cache.Length(seq), wantsLogits: true);
                runner.Forward(batch);
                _ = runner.Logits(0);
            }
        });
        Assert.Equal(0, allocated);
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void DecodeStepsThatOpenNewKvBlocksAllocateNothing(KvCacheType kvType)
    {
        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Enumerable.Repeat(5, 60).ToArray());
        var batch = new ForwardBatch(1);
        batch.Add(seq, 6, runner.Cache.Length(seq), wantsLogits: true);
        runner.Forward(batch);
        // Rows 61..140: past the 4th, 8th (and 9th) block of 16 rows, where the block table used to grow.
        long allocated = AllocationMeter.OnCurrentThread(() =>
        {
            for (int step = 0; step < 80; step++)
            {
                batch.Clear();
                batch.Add(seq, 7 + step % 50, runner.Cache.Length(seq), wantsLogits: true);
                runner.Forward(batch);
            }
        });
        Assert.Equal(0, allocated);
        Assert.Equal(141, runner.Cache.Length(seq));
    }
}
