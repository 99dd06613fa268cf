using Specula.Gguf;
using Specula.Kernels;

namespace Specula.Models;

/// <summary>
/// The hyper-parameters of a decoder-only transformer, read from GGUF metadata the way llama.cpp reads
/// them (same keys, same defaults).
/// </summary>
public sealed record ModelConfig
{
    public required ModelArchitecture Architecture { get; init; }
    /// <summary>Width of the residual stream (n_embd).</summary>
    public required int EmbeddingLength { get; init; }
    public required int LayerCount { get; init; }
    public required int FeedForwardLength { get; init; }
    public required int HeadCount { get; init; }
    /// <summary>Key/value heads; fewer than <see cref="HeadCount"/> means grouped-query attention.</summary>
    public required int KvHeadCount { get; init; }
    /// <summary>Size of one query/key head (may differ from EmbeddingLength / HeadCount, e.g. Qwen3).</summary>
    public required int KeyLength { get; init; }
    /// <summary>Size of one value head.</summary>
    public required int ValueLength { get; init; }
    public required int VocabularySize { get; init; }
    /// <summary>The context length the model was trained for.</summary>
    public required int ContextLength { get; init; }
    public required float RmsEpsilon { get; init; }
    public required float RopeFreqBase { get; init; }
    /// <summary>Multiplies every RoPE angle (1 / linear scaling factor).</summary>
    public required float RopeFreqScale { get; init; }
    /// <summary>Rotated dimensions of each head (the rest pass through).</summary>
    public required int RopeDimensionCount { get; init; }
    public required RopeStyle RopeStyle { get; init; }
    /// <summary>Scale of the attention scores: 1/sqrt(KeyLength) unless the file sets attention.scale.</summary>
    public required float AttentionScale { get; init; }

    /// <summary>Qwen3: RMS norm over each Q and K head before RoPE.</summary>
    public bool HasQkNorm => Architecture == ModelArchitecture.Qwen3;

    public int QueryDimension => HeadCount * KeyLength;
    public int KeyValueDimension => KvHeadCount * KeyLength;
    public int ValueDimension => KvHeadCount * ValueLength;
    public int AttentionOutputDimension => HeadCount * ValueLength;

    // Sanity caps: far above any real model, low enough that a corrupt header cannot make us allocate
    // absurd scratch buffers.
    const int MaxWidth = 1 << 20;
    const int MaxLayers = 4096;
    const int MaxHeads = 4096;

    public static ModelConfig FromGguf(GgufReader gguf)
    {
        var architecture = ModelArchitectures.Parse(gguf.GetString("general.architecture"));
        string arch = architecture.GgufName();

        int Required(string key, int max)
        {
            long value = gguf.GetInteger($"{arch}.{key}") ?? throw new InvalidDataException($"GGUF metadata '{arch}.{key}' is missing");
            return CheckRange($"{arch}.{key}", value, max);
        }
        int Optional(string key, int fallback, int max)
        {
            long? value = gguf.GetInteger($"{arch}.{key}");
            return value == null ? fallback : CheckRange($"{arch}.{key}", value.Value, max);
        }

        long experts = gguf.GetInteger($"{arch}.expert_count") ?? 0;
        if (experts > 0)
            throw new NotSupportedException($"mixture-of-experts models are not supported ({arch}.expert_count = {experts})");

        int embedding = Required("embedding_length", MaxWidth);
        int layers = Required("block_count", MaxLayers);
        int feedForward = Required("feed_forward_length", MaxWidth);
        int heads = Required("attention.head_count", MaxHeads);
        int kvHeads = Optional("attention.head_count_kv", heads, MaxHeads);
        if (heads % kvHeads != 0)
            throw new InvalidDataException($"{arch}: {heads} attention heads are not a multiple of {kvHeads} key/value heads");
        if (embedding % heads != 0 && !gguf.Contains($"{arch}.attention.key_length"))
            throw new InvalidDataException($"{arch}: embedding length {embedding} is not a multiple of {heads} heads and no attention.key_length is given");
        int keyLength = Optional("attention.key_length", embedding / heads, MaxWidth);
        int valueLength = Optional("attention.value_length", keyLength, MaxWidth);
        int ropeDimensions = Optional("rope.dimension_count", keyLength, MaxWidth);
        if (ropeDimensions % 2 != 0 || ropeDimensions > keyLength)
            throw new InvalidDataException($"{arch}.rope.dimension_count = {ropeDimensions} must be even and at most the head size {keyLength}");
        int context = Optional("context_length", 2048, int.MaxValue);

        float epsilon = (float)(gguf.GetFloat($"{arch}.attention.layer_norm_rms_epsilon")
            ?? throw new InvalidDataException($"GGUF metadata '{arch}.attention.layer_norm_rms_epsilon' is missing"));
        if (!(epsilon > 0)) throw new InvalidDataException($"{arch}.attention.layer_norm_rms_epsilon must be positive, got {epsilon}");
        float freqBase = (float)(gguf.GetFloat($"{arch}.rope.freq_base") ?? 10000.0);
        if (!(freqBase > 0)) throw new InvalidDataException($"{arch}.rope.freq_base must be positive, got {freqBase}");

        float freqScale = RopeFrequencyScale(gguf, arch);

        float attentionScale = (float)(gguf.GetFloat($"{arch}.attention.scale") ?? 0.0);
        if (attentionScale == 0) attentionScale = 1.0f / MathF.Sqrt(keyLength);

        var tokenEmbedding = gguf.GetTensor("token_embd.weight");
        if (tokenEmbedding.Dimensions.Length != 2 || tokenEmbedding.Dimensions[0] != embedding)
            throw new InvalidDataException($"token_embd.weight has shape {tokenEmbedding.ShapeText}, expected [{embedding}, vocabulary]");
        int vocabulary = CheckRange("token_embd.weight rows", tokenEmbedding.Dimensions[1], int.MaxValue);

        return new ModelConfig
        {
            Architecture = architecture,
            EmbeddingLength = embedding,
            LayerCount = layers,
            FeedForwardLength = feedForward,
            HeadCount = heads,
            KvHeadCount = kvHeads,
            KeyLength = keyLength,
            ValueLength = valueLength,
            VocabularySize = vocabulary,
            ContextLength = context,
            RmsEpsilon = epsilon,
            RopeFreqBase = freqBase,
            RopeFreqScale = freqScale,
            RopeDimensionCount = ropeDimensions,
            RopeStyle = architecture == ModelArchitecture.Llama ? RopeStyle.Normal : RopeStyle.Neox,
            AttentionScale = attentionScale,
        };
    }

    /// <summary>Linear RoPE scaling (position interpolation) gives freq_scale = 1/factor; YaRN and LongRoPE
    /// change the angles per dimension and are refused rather than run wrongly.</summary>
    static float RopeFrequencyScale(GgufReader gguf, string arch)
    {
        string type = gguf.GetString($"{arch}.rope.scaling.type") ?? "linear";
        double factor = gguf.GetFloat($"{arch}.rope.scaling.factor") ?? gguf.GetFloat($"{arch}.rope.scale_linear") ?? 0.0;
        switch (type)
        {
            case "none":
                return 1.0f;
            case "linear":
                if (factor == 0 || factor == 1) return 1.0f;
                if (!(factor > 0)) throw new InvalidDataException($"{arch}.rope.scaling.factor must be positive, got {factor}");
                return (float)(1.0 / factor);
            default:
                if (factor == 0 || factor == 1) return 1.0f; // the scaling is declared but inactive
                throw new NotSupportedException($"RoPE scaling type '{type}' (factor {factor}) is not supported (supported: none, linear)");
        }
    }

    static int CheckRange(string what, long value, int max)
    {
        if (value <= 0 || value > max)
            throw new InvalidDataException($"GGUF metadata '{what}' = {value} is out of range (1..{max})");
        return (int)value;
    }
}
