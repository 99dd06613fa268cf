namespace Specula.Runtime;

/// <summary>Sizes a <see cref="ModelRunner"/>: its scratch buffers and KV cache are allocated once from these.</summary>
public sealed record RunnerOptions
{
    /// <summary>Default context when the model's own is longer: the KV cache is sized for it.</summary>
    public const int DefaultContextLength = 4096;

    /// <summary>Longest sequence (tokens); 0 = the model's context length, capped at <see cref="DefaultContextLength"/>.</summary>
    public int ContextLength { get; init; }
    /// <summary>Most tokens in one forward call (all sequences together).</summary>
    public int MaxBatchTokens { get; init; } = 512;
    /// <summary>Most rows whose logits one forward call returns; 0 = min(MaxBatchTokens, 64).</summary>
    public int MaxLogitRows { get; init; }
    /// <summary>Most sequences alive in the KV cache at once.</summary>
    public int MaxSequences { get; init; } = 16;
    /// <summary>Total KV cache capacity in tokens over all sequences (shared prefix blocks count once);
    /// 0 = the context length.</summary>
    public int KvCacheTokens { get; init; }
    public int KvBlockSize { get; init; } = KvCache.DefaultBlockSize;
    /// <summary>How the KV cache stores keys and values: float32 (llama.cpp's non-flash attention to the bit) or
    /// half (half the memory; blockwise online-softmax attention).</summary>
    public KvCacheType KvCacheType { get; init; } = KvCacheType.F32;
}
