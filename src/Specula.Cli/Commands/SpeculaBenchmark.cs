using System.Diagnostics;
using Specula.Kernels;
using Specula.Models;
using Specula.Runtime;

namespace Specula.Cli.Commands;

/// <summary>What one benchmark measured: medians over the repetitions, and the decode bound.</summary>
public sealed record BenchResult(
    string Model, int Threads, int PromptTokens, int GenTokens, int Repetitions,
    double PrefillTokensPerSecond, double DecodeTokensPerSecond,
    IReadOnlyList<double> PrefillRuns, IReadOnlyList<double> DecodeRuns,
    double LoadSeconds, long BytesPerDecodedToken, double BandwidthBytesPerSecond, long ResidentBytes, long FileBytes)
{
    /// <summary>Decode speed if every weight byte (and the KV cache read) streamed at the measured bandwidth.</summary>
    public double DecodeBoundTokensPerSecond => BandwidthBytesPerSecond / BytesPerDecodedToken;
    public double DecodePercentOfBound => 100 * DecodeTokensPerSecond / DecodeBoundTokensPerSecond;
}

/// <summary>
/// Times Specula on one GGUF file: load, then per repetition a fresh sequence with a prefill of the prompt
/// (one batch) and <c>gen</c> greedy decode steps; one untimed warm-up repetition first; medians reported.
/// The prompt is a fixed pseudo-random id sequence so any engine can be fed the same ids.
/// </summary>
public static class SpeculaBenchmark
{
    public static int[] PromptIds(int count, int vocabulary)
    {
        var random = new Random(1234);
        var ids = new int[count];
        for (int i = 0; i < count; i++) ids[i] = random.Next(Math.Min(100, vocabulary - 1), vocabulary);
        return ids;
    }

    public static BenchResult Run(string path, int threads, int promptTokens, int genTokens, int repetitions, double bandwidth)
    {
        if (promptTokens < 1) throw new CliException("the prompt needs at least one token (-p)");
        if (genTokens < 1) throw new CliException("generate at least one token (-n)");
        if (repetitions < 1) throw new CliException("at least one repetition (--reps)");
        ComputePool.ConfigureShared(threads);

        long loadStart = Stopwatch.GetTimestamp();
        using var model = TransformerModel.Load(path);
        var runner = new ModelRunner(model, new RunnerOptions
        {
            ContextLength = promptTokens + genTokens + 1,
            MaxBatchTokens = promptTokens,
            MaxSequences = 2,
        });
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;

        var prompt = PromptIds(promptTokens, runner.VocabularySize);
        var prefill = new List<double>();
        var decode = new List<double>();
        for (int rep = -1; rep < repetitions; rep++)
        {
            int sequence = runner.Cache.CreateSequence();
            long start = Stopwatch.GetTimestamp();
            int next = ArgMax(runner.Prefill(sequence, prompt));
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < genTokens; i++) next = ArgMax(runner.Decode(sequence, next));
            double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            runner.Cache.Free(sequence);
            if (rep < 0) continue; // warm-up
            prefill.Add(promptTokens / prefillSeconds);
            decode.Add(genTokens / decodeSeconds);
        }

        return new BenchResult(
            Path.GetFileNameWithoutExtension(path), threads, promptTokens, genTokens, repetitions,
            Median(prefill), Median(decode), prefill, decode, loadSeconds,
            BytesPerDecodedToken(model, promptTokens + genTokens / 2), bandwidth,
            Process.GetCurrentProcess().WorkingSet64, new FileInfo(path).Length);
    }

    /// <summary>Weight bytes every decode step reads (each matrix once) plus the KV cache rows attention
    /// reads at the average context length (float32 keys and values).</summary>
    public static long BytesPerDecodedToken(TransformerModel model, int averageContext)
    {
        long bytes = model.Output.Rows * model.Output.RowBytes;
        foreach (var layer in model.Layers)
            foreach (var w in new[] { layer.Query, layer.Key, layer.Value, layer.AttentionOutput, layer.Gate, layer.Up, layer.Down })
                bytes += w.Rows * w.RowBytes;
        var c = model.Config;
        bytes += (long)c.LayerCount * averageContext * (c.KeyValueDimension + c.ValueDimension) * sizeof(float);
        return bytes;
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
