namespace Specula.Runtime;

/// <summary>A sequence would grow past the context length the runner was created with.</summary>
public sealed class ContextOverflowException(string message) : InvalidOperationException(message);

/// <summary>The KV cache has no free block left for the tokens of a batch (or a copy-on-write).</summary>
public sealed class KvCacheFullException(string message) : InvalidOperationException(message);
