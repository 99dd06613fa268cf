using System.CommandLine;
using Specula.Runtime;

namespace Specula.Cli.Commands;

/// <summary><c>--kv-type f32|f16</c>: how the KV cache stores keys and values (llama.cpp's
/// <c>--cache-type-k/-v</c>, one setting for both).</summary>
public static class KvTypeOption
{
    public static Option<string> Create() => new("--kv-type")
    {
        Description = "KV cache type: f32 (exact llama.cpp non-flash attention) or f16 (half the memory, blockwise attention)",
        DefaultValueFactory = _ => "f32",
    };

    /// <summary>The cache type named by <paramref name="text"/> (case-insensitive); a clear error otherwise.</summary>
    public static KvCacheType Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "f32" or null => KvCacheType.F32,
        "f16" => KvCacheType.F16,
        _ => throw new CliException($"--kv-type must be f32 or f16, got '{text}'"),
    };

    /// <summary>The name <see cref="Parse"/> reads, for reports.</summary>
    public static string Name(KvCacheType type) => type == KvCacheType.F16 ? "f16" : "f32";
}
