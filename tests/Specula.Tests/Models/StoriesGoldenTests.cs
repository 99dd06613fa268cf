using System.Text.Json;
using Specula.Models;
using Specula.Runtime;
using Xunit;
using Xunit.Abstractions;

namespace Specula.Tests.Models;

/// <summary>The real stories260K checkpoint against llama2.c's run.c outputs (float32).</summary>
public class StoriesGoldenTests(ITestOutputHelper output)
{
    sealed record GoldenCase(int[] Prompt, int[] GreedyIds, float[] LogitsAfterPrompt);

    static GoldenCase[] LoadCases()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("models/stories260K.golden.json")));
        return golden.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(
            c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("logits_after_prompt").EnumerateArray().Select(e => e.GetSingle()).ToArray())).ToArray();
    }

    [Fact]
    public void LogitsAfterPromptMatchRunCWithin1e4AndAll200GreedyIdsAgree()
    {
        using var model = TransformerModel.Load(TestPaths.Shared("models/stories260K.gguf"));
        Assert.Equal(ModelArchitecture.Llama, model.Config.Architecture);
        foreach (var c in LoadCases())
        {
            var runner = new ModelRunner(model, new RunnerOptions { ContextLength = 512, MaxBatchTokens = 64 });
            int seq = runner.Cache.CreateSequence();
            var logits = runner.Prefill(seq, c.Prompt).ToArray();
            Assert.Equal(c.LogitsAfterPrompt.Length, logits.Length);
            float maxDelta = 0;
            for (int i = 0; i < logits.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(logits[i] - c.LogitsAfterPrompt[i]));
            output.WriteLine($"prompt [{string.Join(",", c.Prompt)}]: max |Δlogit| vs run.c = {maxDelta:E2}");
            Assert.True(maxDelta <= 1e-4f, $"max |Δlogit| {maxDelta} > 1e-4");

            var ids = new int[c.GreedyIds.Length];
            for (int step = 0; step < ids.Length; step++)
            {
                ids[step] = ArgMax(logits);
                logits = runner.Decode(seq, ids[step]).ToArray();
            }
            Assert.Equal(c.GreedyIds, ids);
        }
    }

    static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
