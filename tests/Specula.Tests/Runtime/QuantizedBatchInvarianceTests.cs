using Specula.Models;
using Specula.Runtime;
using Specula.Tensors;
using Specula.Tests.Models;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>The batch-shape contract on quantized GQA models (Qwen3 layout, 8 heads over 2 or 1 KV heads,
/// K-quant and Q8_0 weights): the matrix kernels take different paths for one token and for many, and attention runs
/// on several threads; logits must still be bit-identical.</summary>
public class QuantizedBatchInvarianceTests(SyntheticModelFiles files) : IClassFixture<SyntheticModelFiles>
{
    static SyntheticModelSpec Spec(GgmlType type, int kvHeads) => new()
    {
        Architecture = ModelArchitecture.Qwen3,
        EmbeddingLength = 256,
        LayerCount = 2,
        FeedForwardLength = 512,
        HeadCount = 8,
        KvHeadCount = kvHeads,
        HeadDimension = 64,
        VocabularySize = 600,
        TensorType = type,
        WeightStd = 0.05f,
        Seed = 11,
    };

    /// <remarks>With one key/value head (multi-query attention) a decode step has a single (row, KV head)
    /// item, so its query heads are split across threads, while a batch computes each group whole.</remarks>
    [Theory]
    [InlineData(GgmlType.Q4_K, 2)]
    [InlineData(GgmlType.Q8_0, 2)]
    [InlineData(GgmlType.Q8_0, 1)]
    public void OneBatchChunksTokenByTokenAndTreeNodesAgreeBitForBit(GgmlType type, int kvHeads)
    {
        using var model = TransformerModel.Load(files.PathFor(Spec(type, kvHeads)));
        var options = new RunnerOptions { ContextLength = 256, MaxBatchTokens = 64, MaxLogitRows = 64 };
        var prompt = Enumerable.Range(0, 40).Select(i => (i * 37 + 5) % 600).ToArray();

        var one = new ModelRunner(model, options);
        var oneBatch = one.ForwardAll(one.Cache.CreateSequence(), prompt);

        var step = new ModelRunner(model, options);
        var stepwise = step.DecodeEach(step.Cache.CreateSequence(), prompt);

        var chunkRunner = new ModelRunner(model, options);
        int chunkSeq = chunkRunner.Cache.CreateSequence();
        var chunked = new List<float[]>();
        for (int start = 0; start < prompt.Length; start += 9)
            chunked.AddRange(chunkRunner.ForwardAll(chunkSeq, prompt.Skip(start).Take(9).ToList()));

        for (int i = 0; i < prompt.Length; i++)
        {
            Assert.Equal(oneBatch[i], stepwise[i]);
            Assert.Equal(oneBatch[i], chunked[i]);
        }

        // A two-branch tree after the first 30 tokens: each node equals its path computed as a chain.
        var tree = new ModelRunner(model, options);
        int seq = tree.Cache.CreateSequence();
        tree.Prefill(seq, prompt[..30]);
        var batch = new ForwardBatch(8);
        batch.AddTreeNode(seq, prompt[30], 30, -1, wantsLogits: true);   // 0: on the main path
        batch.AddTreeNode(seq, 7, 30, -1, wantsLogits: true);           // 1: a sibling
        batch.AddTreeNode(seq, prompt[31], 31, 0, wantsLogits: true);   // 2: child of 0
        batch.AddTreeNode(seq, 9, 31, 1, wantsLogits: true);            // 3: child of 1
        tree.Forward(batch);
        Assert.Equal(oneBatch[30], tree.Logits(0).ToArray());
        Assert.Equal(oneBatch[31], tree.Logits(2).ToArray());

        var alt = new ModelRunner(model, options);
        int altSeq = alt.Cache.CreateSequence();
        var altLogits = alt.ForwardAll(altSeq, [.. prompt[..30], 7, 9]);
        Assert.Equal(altLogits[30], tree.Logits(1).ToArray());
        Assert.Equal(altLogits[31], tree.Logits(3).ToArray());
    }
}
