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
    double LoadSeconds, long BytesPerDecodedToken, double BandwidthBytesPerSecond, long ResidentBytes, long FileBytes,
    KvCacheType KvCacheType = KvCacheType.F32)
{
    /// <summary>Decode speed if every weight byte (and the KV cache read) streamed at the measured bandwidth.</summary>
    public double DecodeBoundTokensPerSecond => BandwidthBytesPerSecond / BytesPerDecodedToken;
    public double DecodePercentOfBound => 100 * DecodeTokensPerSecond / DecodeBoundTokensPerSecond;
}

/// <summary>Specula loaded once, timed run after run (the A/B harness in bench/ interleaves it with llama.cpp).
/// Each run uses a fresh sequence: the prompt in one batch, then greedy decode steps.</summary>
public sealed class SpeculaEngine : IDisposable
{
    readonly TransformerModel _model;
    readonly ModelRunner _runner;

    public double LoadSeconds { get; }
    public int VocabularySize => _runner.VocabularySize;
    public long BytesPerDecodedToken { get; }

    public KvCacheType KvCacheType { get; }

    public SpeculaEngine(string path, int threads, int promptTokens, int genTokens, KvCacheType kvCacheType = KvCacheType.F32)
    {
        if (promptTokens < 1) throw new CliException("the prompt needs at least one token (-p)");
        if (genTokens < 1) throw new CliException("generate at least one token (-n)");
        ThreadsOption.Apply(threads);
        long start = Stopwatch.GetTimestamp();
        _model = TransformerModel.Load(path);
        _runner = new ModelRunner(_model, new RunnerOptions
        {
            ContextLength = promptTokens + genTokens + 1,
            MaxBatchTokens = promptTokens,
            MaxSequences = 2,
            KvCacheType = kvCacheType,
        });
        KvCacheType = kvCacheType;
        LoadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        BytesPerDecodedToken = SpeculaBenchmark.BytesPerDecodedToken(_model, promptTokens + genTokens / 2, kvCacheType);
    }

    /// <returns>Prefill and decode tokens per second of one run.</returns>
    public (double Prefill, double Decode) RunOnce(int[] prompt, int genTokens)
    {
        int sequence = _runner.Cache.CreateSequence();
        try
        {
            long start = Stopwatch.GetTimestamp();
            int next = SpeculaBenchmark.ArgMax(_runner.Prefill(sequence, prompt));
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < genTokens; i++) next = SpeculaBenchmark.ArgMax(_runner.Decode(sequence, next));
            double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return (prompt.Length / prefillSeconds, genTokens / decodeSeconds);
        }
        finally
        {
            _runner.Cache.Free(sequence);
        }
    }

    public void Dispose() => _model.Dispose();
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

    /// <summary>The read bandwidth is measured before the first timed run and after every run, and the best is
    /// kept: on a shared machine it moves from minute to minute, and the bound must hold for every run.</summary>
    public static BenchResult Run(string path, int threads, int promptTokens, int genTokens, int repetitions,
        KvCacheType kvCacheType = KvCacheType.F32)
    {
        if (repetitions < 1) throw new CliException("at least one repetition (--reps)");
        using var engine = new SpeculaEngine(path, threads, promptTokens, genTokens, kvCacheType);
        var prompt = PromptIds(promptTokens, engine.VocabularySize);
        engine.RunOnce(prompt, genTokens); // warm-up
        // Resident memory of the engine after a whole run (the runs allocate nothing more), taken before the
        // bandwidth probe's buffer exists: that buffer is the benchmark's, not the model's.
        long resident = Process.GetCurrentProcess().WorkingSet64;
        using var bandwidth = new MemoryBandwidth.Probe(ComputePool.Shared);
        bandwidth.Measure();
        var prefill = new List<double>();
        var decode = new List<double>();
        for (int rep = 0; rep < repetitions; rep++)
        {
            var (p, d) = engine.RunOnce(prompt, genTokens);
            prefill.Add(p);
            decode.Add(d);
            bandwidth.Measure(passes: 2);
        }
        return new BenchResult(
            Path.GetFileNameWithoutExtension(path), threads, promptTokens, genTokens, repetitions,
            Median(prefill), Median(decode), prefill, decode, engine.LoadSeconds,
            engine.BytesPerDecodedToken, bandwidth.Best,
            resident, new FileInfo(path).Length, kvCacheType);
    }

    /// <summary>Weight bytes every decode step reads (each matrix once) plus the KV cache rows attention
    /// reads at the average context length (keys and values of the cache's type).</summary>
    public static long BytesPerDecodedToken(TransformerModel model, int averageContext, KvCacheType kvCacheType = KvCacheType.F32)
    {
        long bytes = model.Output.Rows * model.Output.RowBytes;
        foreach (var layer in model.Layers)
            foreach (var w in new[] { layer.Query, layer.Key, layer.Value, layer.AttentionOutput, layer.Gate, layer.Up, layer.Down })
                bytes += w.Rows * w.RowBytes;
        var c = model.Config;
        int elementBytes = kvCacheType == KvCacheType.F16 ? 2 : sizeof(float);
        bytes += (long)c.LayerCount * averageContext * (c.KeyValueDimension + c.ValueDimension) * elementBytes;
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
