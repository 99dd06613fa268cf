using Specula.Gguf;
using Specula.Models;
using Specula.Runtime;
using Xunit;

namespace Specula.Tests.Runtime;

/// <summary>Contract 3 of the design: running layers [0, k) then the head is the early-exit draft, and the
/// full model later fills the skipped layers for the same positions.</summary>
public class LayerRangeTests(StoriesModelFixture fixture) : IClassFixture<StoriesModelFixture>, IDisposable
{
    static readonly int[] Prompt = [1, 300, 400, 500, 260, 270, 280, 290, 17, 99];
    readonly string _directory = Directory.CreateTempSubdirectory("specula-layers-").FullName;

    /// <summary>A copy of stories260K keeping only its first <paramref name="layers"/> blocks.</summary>
    string WriteFirstLayers(int layers)
    {
        var source = fixture.Model.File;
        var writer = new GgufWriter();
        foreach (string key in source.MetadataKeys)
            writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);
        writer.Set("llama.block_count", (uint)layers);
        foreach (var tensor in source.Tensors)
        {
            if (tensor.Name.StartsWith("blk.") && int.Parse(tensor.Name.Split('.')[1]) >= layers) continue;
            writer.AddTensor(tensor.Name, tensor.Type, tensor.Dimensions, source.GetTensorBytes(tensor));
        }
        string path = Path.Combine(_directory, $"stories-{layers}-layers.gguf");
        writer.WriteTo(path);
        return path;
    }

    [Fact]
    public void EarlyExitLogitsEqualTheModelCutAfterThoseLayers()
    {
        foreach (int k in new[] { 1, 2, 4 })
        {
            using var cut = TransformerModel.Load(WriteFirstLayers(k));
            Assert.Equal(k, cut.Config.LayerCount);
            var cutRunner = new ModelRunner(cut, new RunnerOptions { ContextLength = 256, MaxBatchTokens = 64, MaxLogitRows = 64 });
            var expected = cutRunner.ForwardAll(cutRunner.Cache.CreateSequence(), Prompt);

            var runner = fixture.NewRunner();
            var drafted = runner.ForwardAll(runner.Cache.CreateSequence(), Prompt, layerCount: k);
            for (int i = 0; i < Prompt.Length; i++) Assert.Equal(expected[i], drafted[i]);
        }
    }

    [Fact]
    public void FullPassAfterTruncatingDraftsFillsTheSkippedLayers()
    {
        var reference = fixture.NewRunner();
        int refSeq = reference.Cache.CreateSequence();
        reference.Prefill(refSeq, Prompt);
        var expected = reference.ForwardAll(refSeq, [33, 44, 55]);
        var expectedNext = reference.Decode(refSeq, 66).ToArray();

        var runner = fixture.NewRunner();
        int seq = runner.Cache.CreateSequence();
        runner.Prefill(seq, Prompt);
        // Draft three tokens with the first two layers, one at a time, as self-speculation does.
        foreach (int token in new[] { 33, 44, 55 })
        {
            var batch = new ForwardBatch(1);
            batch.Add(seq, token, runner.Cache.Length(seq), wantsLogits: true);
            runner.Forward(batch, 2);
        }
        Assert.Equal(Prompt.Length + 3, runner.Cache.Table(seq).ValidRows(1));
        Assert.Equal(Prompt.Length, runner.Cache.Table(seq).ValidRows(2));

        // A full pass may not attend to rows that lack the deeper layers.
        var error = Assert.Throws<InvalidOperationException>(() => runner.Decode(seq, 66));
        Assert.Contains("early exit", error.Message);
        Assert.Equal(Prompt.Length + 3, runner.Cache.Length(seq));

        // Verification: back to the drafts' start, the same tokens through the full model.
        runner.Cache.Truncate(seq, Prompt.Length);
        var verified = runner.ForwardAll(seq, [33, 44, 55]);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], verified[i]);
        Assert.Equal(expectedNext, runner.Decode(seq, 66).ToArray());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
