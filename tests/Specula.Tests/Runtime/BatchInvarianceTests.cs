using Specula.Runtime;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>Contract 4 of the design: a token's logits do not depend on the batch it was computed in. All
/// comparisons here are exact (bit for bit), with an F32 and with an F16 KV cache.</summary>
public class BatchInvarianceTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>
{
    static readonly int[] Prompt = [1, 300, 400, 500, 260, 270, 280, 290, 17, 99, 451, 3, 77, 312, 205, 64, 128, 400, 22, 9, 11, 300];

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void PromptInOneBatchInChunksAndTokenByTokenGivesIdenticalLogits(KvCacheType kvType)
    {
        var oneBatchRunner = fixture.NewRunner(kvType: kvType);
        var oneBatch = oneBatchRunner.ForwardAll(oneBatchRunner.Cache.CreateSequence(), Prompt);

        var stepRunner = fixture.NewRunner(kvType: kvType);
        var stepwise = stepRunner.DecodeEach(stepRunner.Cache.CreateSequence(), Prompt);

        foreach (int chunk in new[] { 2, 5, 7 })
        {
            var chunkRunner = fixture.NewRunner(kvType: kvType);
            int seq = chunkRunner.Cache.CreateSequence();
            var chunked = new List<float[]>();
            for (int start = 0; start < Prompt.Length; start += chunk)
                chunked.AddRange(chunkRunner.ForwardAll(seq, Prompt.Skip(start).Take(chunk).ToList()));
            for (int i = 0; i < Prompt.Length; i++) Assert.Equal(oneBatch[i], chunked[i]);
        }
        for (int i = 0; i < Prompt.Length; i++) Assert.Equal(oneBatch[i], stepwise[i]);
    }

    /// <summary>A prompt several attention tiles long (the F16 kernel walks 32 rows at a time): one batch,
    /// chunks that end mid-tile, and the last rows token by token agree bit for bit.</summary>
    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void LongPromptGivesIdenticalLogitsInOneBatchChunksAndSteps(KvCacheType kvType)
    {
        var random = new Random(3);
        var prompt = new int[150];
        for (int i = 0; i < prompt.Length; i++) prompt[i] = i == 0 ? 1 : random.Next(3, 500);
        var oneBatchRunner = fixture.NewRunner(maxBatch: 150, maxLogitRows: 150, kvType: kvType);
        var oneBatch = oneBatchRunner.ForwardAll(oneBatchRunner.Cache.CreateSequence(), prompt);

        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        var chunked = new List<float[]>();
        for (int start = 0; start < 130; start += 37)
            chunked.AddRange(runner.ForwardAll(seq, prompt.Skip(start).Take(Math.Min(37, 130 - start)).ToList()));
        chunked.AddRange(runner.DecodeEach(seq, prompt.Skip(130).ToList()));
        for (int i = 0; i < prompt.Length; i++) Assert.Equal(oneBatch[i], chunked[i]);
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void SeveralSequencesInOneBatchEqualSeparateRuns(KvCacheType kvType)
    {
        int[][] prompts = [[1, 300, 400, 500, 260], [1, 12, 13], [1, 450, 451, 452, 453, 454, 455, 456]];
        var separate = prompts.Select(p =>
        {
            var r = fixture.NewRunner(kvType: kvType);
            return r.ForwardAll(r.Cache.CreateSequence(), p);
        }).ToArray();

        var runner = fixture.NewRunner(kvType: kvType);
        var seqs = prompts.Select(_ => runner.Cache.CreateSequence()).ToArray();
        var batch = new ForwardBatch(64);
        var rows = prompts.Select(p => new int[p.Length]).ToArray();
        // Interleave the sequences' tokens row by row.
        for (int i = 0; i < prompts.Max(p => p.Length); i++)
            for (int s = 0; s < prompts.Length; s++)
                if (i < prompts[s].Length) rows[s][i] = batch.Add(seqs[s], prompts[s][i], i, wantsLogits: true);
        runner.Forward(batch);
        for (int s = 0; s < prompts.Length; s++)
            for (int i = 0; i < prompts[s].Length; i++)
                Assert.Equal(separate[s][i], runner.Logits(rows[s][i]).ToArray());

        // And a decode step for all three together equals three single decode steps.
        batch.Clear();
        for (int s = 0; s < prompts.Length; s++) batch.Add(seqs[s], 100 + s, prompts[s].Length, wantsLogits: true);
        runner.Forward(batch);
        for (int s = 0; s < prompts.Length; s++)
        {
            var single = fixture.NewRunner(kvType: kvType);
            int seq = single.Cache.CreateSequence();
            single.Prefill(seq, prompts[s]);
            Assert.Equal(single.Decode(seq, 100 + s).ToArray(), runner.Logits(s).ToArray());
        }
    }

    [Theory]
    [InlineData(KvCacheType.F32)]
    [InlineData(KvCacheType.F16)]
    public void OnlyRequestedRowsGetLogitsAndTheyEqualAFullRequest(KvCacheType kvType)
    {
        var all = fixture.NewRunner(kvType: kvType);
        var expected = all.ForwardAll(all.Cache.CreateSequence(), Prompt);

        var runner = fixture.NewRunner(kvType: kvType);
        int seq = runner.Cache.CreateSequence();
        var batch = new ForwardBatch(Prompt.Length);
        for (int i = 0; i < Prompt.Length; i++) batch.Add(seq, Prompt[i], i, wantsLogits: i % 4 == 3);
        runner.Forward(batch);
        for (int i = 0; i < Prompt.Length; i++)
        {
            if (i % 4 == 3) Assert.Equal(expected[i], runner.Logits(i).ToArray());
            else Assert.Throws<InvalidOperationException>(() => runner.Logits(i).ToArray());
        }
    }
}
