using LLama;
using LLama.Common;
using LLama.Native;

namespace Specula.Tests.Reference;

/// <summary>
/// llama.cpp (through LLamaSharp) as an exact reference: F32 KV cache (or another cache type when asked),
/// flash attention off, one thread per call so results do not depend on the machine. Used only by tests.
/// </summary>
public sealed class LlamaCppReference : IDisposable
{
    static readonly object InitLock = new();
    static bool _initialized;

    readonly LLamaWeights _weights;
    readonly ModelParams _params;

    public LlamaCppReference(string ggufPath, uint contextSize = 512, GGMLType kvCacheType = GGMLType.GGML_TYPE_F32)
    {
        EnsureInitialized();
        _params = new ModelParams(ggufPath)
        {
            ContextSize = contextSize,
            BatchSize = contextSize,
            UBatchSize = contextSize,
            Threads = 1,
            BatchThreads = 1,
            TypeK = kvCacheType,
            TypeV = kvCacheType,
            FlashAttention = false,
            GpuLayerCount = 0,
        };
        _weights = LLamaWeights.LoadFromFile(_params);
    }

    public int VocabSize => _weights.Vocab.Count;

    static void EnsureInitialized()
    {
        lock (InitLock)
        {
            if (_initialized) return;
            NativeLibraryConfig.All.WithLogCallback((level, message) => { });
            _initialized = true;
        }
    }

    /// <summary>Logits for every position of the prompt, row-major [tokens.Length, vocab].</summary>
    public float[] Logits(IReadOnlyList<int> tokens)
    {
        using var context = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++)
            batch.Add((LLamaToken)tokens[i], i, (LLamaSeqId)0, true);
        var result = context.NativeHandle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {result}");
        int vocab = VocabSize;
        var all = new float[tokens.Count * vocab];
        for (int i = 0; i < tokens.Count; i++)
            context.NativeHandle.GetLogitsIth(i).CopyTo(all.AsSpan(i * vocab, vocab));
        return all;
    }

    /// <summary>Greedy continuation: the prompt in one batch, then one token per step. Returns the new ids
    /// and, per step, the gap between the best and second-best logit (to recognise near-ties).</summary>
    public (int[] Ids, float[] TopGaps) Greedy(IReadOnlyList<int> prompt, int count)
    {
        var ids = new int[count];
        var gaps = new float[count];
        Greedy(prompt, count, (step, logits) =>
        {
            (ids[step], gaps[step]) = ArgMaxWithGap(logits);
            return ids[step];
        });
        return (ids, gaps);
    }

    /// <summary>Sees the logits before each greedy step and returns the token llama.cpp's greedy choice made.</summary>
    public delegate int StepObserver(int step, ReadOnlySpan<float> logits);

    /// <summary>Greedy continuation as <see cref="Greedy(IReadOnlyList{int}, int)"/>, showing each step's logits to
    /// <paramref name="observe"/> (which returns the argmax: the token fed next), so a caller can follow llama.cpp
    /// step by step on the same tokens.</summary>
    public void Greedy(IReadOnlyList<int> prompt, int count, StepObserver observe)
    {
        using var context = _weights.CreateContext(_params);
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++)
            batch.Add((LLamaToken)prompt[i], i, (LLamaSeqId)0, i == prompt.Count - 1);
        if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("decode failed");
        int pos = prompt.Count;
        int logitRow = prompt.Count - 1;
        for (int step = 0; step < count; step++)
        {
            var logits = context.NativeHandle.GetLogitsIth(logitRow);
            int id = observe(step, logits);
            if (id != ArgMaxWithGap(logits).Index) throw new InvalidOperationException("the observer must return llama.cpp's greedy token");
            batch.Clear();
            batch.Add((LLamaToken)id, pos++, (LLamaSeqId)0, true);
            if (context.NativeHandle.Decode(batch) != DecodeResult.Ok) throw new InvalidOperationException("decode failed");
            logitRow = 0;
        }
    }

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var tokens = _weights.NativeHandle.Tokenize(text, addSpecial, parseSpecial, System.Text.Encoding.UTF8);
        var ids = new int[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)tokens[i];
        return ids;
    }

    public static (int Index, float Gap) ArgMaxWithGap(ReadOnlySpan<float> logits)
    {
        int best = 0;
        float bestValue = float.NegativeInfinity, second = float.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++)
        {
            float v = logits[i];
            if (v > bestValue) { second = bestValue; bestValue = v; best = i; }
            else if (v > second) second = v;
        }
        return (best, bestValue - second);
    }

    public void Dispose() => _weights.Dispose();
}
