using Specula.Models;
using Specula.Runtime;

namespace Specula.Tests.Runtime;

/// <summary>stories260K loaded once for all runtime tests of a class.</summary>
public sealed class StoriesModelFixture : IDisposable
{
    public TransformerModel Model { get; } = TransformerModel.Load(TestPaths.Shared("models/stories260K.gguf"));

    public ModelRunner NewRunner(int maxBatch = 64, int maxLogitRows = 64, int kvTokens = 0, int maxSequences = 16,
        KvCacheType kvType = KvCacheType.F32) =>
        new(Model, new RunnerOptions
        {
            ContextLength = 256,
            MaxBatchTokens = maxBatch,
            MaxLogitRows = maxLogitRows,
            KvCacheTokens = kvTokens,
            MaxSequences = maxSequences,
            KvCacheType = kvType,
        });

    public void Dispose() => Model.Dispose();
}

static class RunnerTestExtensions
{
    /// <summary>Feeds tokens one by one and returns the logits after each.</summary>
    public static float[][] DecodeEach(this ModelRunner runner, int sequence, IReadOnlyList<int> tokens)
    {
        var result = new float[tokens.Count][];
        for (int i = 0; i < tokens.Count; i++) result[i] = runner.Decode(sequence, tokens[i]).ToArray();
        return result;
    }

    /// <summary>One chain batch over the tokens with logits for every row.</summary>
    public static float[][] ForwardAll(this ModelRunner runner, int sequence, IReadOnlyList<int> tokens, int layerCount = -1)
    {
        var batch = new ForwardBatch(tokens.Count);
        int start = runner.Cache.Length(sequence);
        for (int i = 0; i < tokens.Count; i++) batch.Add(sequence, tokens[i], start + i, wantsLogits: true);
        runner.Forward(batch, layerCount < 0 ? runner.Config.LayerCount : layerCount);
        var result = new float[tokens.Count][];
        for (int i = 0; i < tokens.Count; i++) result[i] = runner.Logits(i).ToArray();
        return result;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
