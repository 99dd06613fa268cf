namespace Specula.Models;

/// <summary>Transformer families the engine runs. Each is a configuration of the same pre-norm decoder
/// block (RMSNorm, grouped-query attention with RoPE, SwiGLU feed-forward).</summary>
public enum ModelArchitecture
{
    /// <summary>Llama 1/2/3/3.x, TinyLlama, Mistral, SmolLM and others converted as <c>llama</c>:
    /// adjacent-pair RoPE, optional Llama-3 frequency factors.</summary>
    Llama,
    /// <summary>Qwen2/Qwen2.5: NeoX RoPE, biases on the Q, K and V projections.</summary>
    Qwen2,
    /// <summary>Qwen3 (dense): NeoX RoPE, per-head RMS norm on Q and K, head size from metadata.</summary>
    Qwen3,
}

public static class ModelArchitectures
{
    /// <summary>Maps GGUF's <c>general.architecture</c> to a supported family, or throws naming it.</summary>
    public static ModelArchitecture Parse(string? name) => name switch
    {
        "llama" => ModelArchitecture.Llama,
        "qwen2" => ModelArchitecture.Qwen2,
        "qwen3" => ModelArchitecture.Qwen3,
        null => throw new InvalidDataException("GGUF file has no general.architecture; it is not a model file"),
        _ => throw new NotSupportedException($"model architecture '{name}' is not supported (supported: llama, qwen2, qwen3)"),
    };

    /// <summary>The metadata key prefix GGUF uses for the family (e.g. <c>llama.context_length</c>).</summary>
    public static string GgufName(this ModelArchitecture architecture) => architecture switch
    {
        ModelArchitecture.Llama => "llama",
        ModelArchitecture.Qwen2 => "qwen2",
        ModelArchitecture.Qwen3 => "qwen3",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture)),
    };
}
