using System.Diagnostics;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Specula.Bench;

/// <summary>llama.cpp (LLamaSharp's CPU backend) loaded once, timed like <c>SpeculaEngine</c>: a fresh
/// context per run, the prompt in one batch with logits for its last token only, then greedy decode steps.
/// llama.cpp's defaults otherwise (f16 KV cache), as llama-bench runs it.</summary>
sealed class LlamaCppEngine : IDisposable
{
    readonly LLamaWeights _weights;
    readonly ModelParams _params;

    public double LoadSeconds { get; }

    public LlamaCppEngine(string path, int threads, int promptTokens, int genTokens)
    {
        NativeLibraryConfig.All.WithLogCallback((level, message) => { });
        _params = new ModelParams(path)
        {
            ContextSize = (uint)(promptTokens + genTokens + 8),
            BatchSize = (uint)promptTokens,
            UBatchSize = (uint)promptTokens,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        long start = Stopwatch.GetTimestamp();
        _weights = LLamaWeights.LoadFromFile(_params);
        LoadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public (double Prefill, double Decode) RunOnce(int[] prompt, int genTokens)
    {
        using var context = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Length; i++)
            batch.Add((LLamaToken)prompt[i], i, (LLamaSeqId)0, i == prompt.Length - 1);
        long start = Stopwatch.GetTimestamp();
        Check(context.NativeHandle.Decode(batch));
        int next = ArgMax(context.NativeHandle.GetLogitsIth(prompt.Length - 1));
        double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        start = Stopwatch.GetTimestamp();
        for (int i = 0; i < genTokens; i++)
        {
            batch.Clear();
            batch.Add((LLamaToken)next, prompt.Length + i, (LLamaSeqId)0, true);
            Check(context.NativeHandle.Decode(batch));
            next = ArgMax(context.NativeHandle.GetLogitsIth(0));
        }
        double decodeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (prompt.Length / prefillSeconds, genTokens / decodeSeconds);
    }

    static void Check(DecodeResult result)
    {
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode failed: {result}");
    }

    static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    public void Dispose() => _weights.Dispose();
}
