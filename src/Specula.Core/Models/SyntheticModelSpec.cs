using Specula.Tensors;

namespace Specula.Models;

/// <summary>The shape and storage of a synthetic model written by <see cref="SyntheticModel"/>.</summary>
public sealed record SyntheticModelSpec
{
    public ModelArchitecture Architecture { get; init; } = ModelArchitecture.Llama;
    public int EmbeddingLength { get; init; } = 64;
    public int LayerCount { get; init; } = 2;
    public int FeedForwardLength { get; init; } = 128;
    public int HeadCount { get; init; } = 4;
    public int KvHeadCount { get; init; } = 2;
    /// <summary>Size of one attention head; 0 = EmbeddingLength / HeadCount.</summary>
    public int HeadDimension { get; init; }
    /// <summary>Vocabulary size when no <see cref="TokenizerSource"/> is given (a placeholder SentencePiece-style
    /// vocabulary of at least 259 tokens is written); ignored otherwise (the source's vocabulary decides).</summary>
    public int VocabularySize { get; init; } = 512;
    public int ContextLength { get; init; } = 2048;
    /// <summary>RoPE base; 0 = the family's usual value (1e4 for llama, 1e6 for Qwen).</summary>
    public float RopeFreqBase { get; init; }
    /// <summary>RMS norm epsilon; 0 = the family's usual value (1e-5 for llama, 1e-6 for Qwen).</summary>
    public float RmsEpsilon { get; init; }
    /// <summary>Storage type of the weight matrices of the blocks, and of the token embedding and output head
    /// unless <see cref="EmbeddingType"/> / <see cref="OutputType"/> say otherwise; norms, biases and
    /// frequency factors stay float32 as in real files.</summary>
    public GgmlType TensorType { get; init; } = GgmlType.F32;
    /// <summary>Storage type of token_embd.weight (and so of a tied output head); null = <see cref="TensorType"/>.</summary>
    public GgmlType? EmbeddingType { get; init; }
    /// <summary>Storage type of a separate output.weight; null = <see cref="TensorType"/>.</summary>
    public GgmlType? OutputType { get; init; }
    /// <summary>No output.weight: the output head is the token embedding.</summary>
    public bool TiedEmbeddings { get; init; }
    /// <summary>Llama only: write Llama-3-style per-dimension RoPE frequency factors (rope_freqs.weight).</summary>
    public bool RopeFrequencyFactors { get; init; }
    /// <summary>Standard deviation of the weight matrices.</summary>
    public float WeightStd { get; init; } = 0.02f;
    public ulong Seed { get; init; } = 1;
    /// <summary>A GGUF file whose tokenizer.* metadata (vocabulary, merges, special tokens, chat template) is
    /// copied, e.g. a real Llama-2 or Qwen vocabulary.</summary>
    public string? TokenizerSource { get; init; }
    public string Name { get; init; } = "synthetic";
}
