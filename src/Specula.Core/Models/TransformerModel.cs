using Specula.Gguf;
using Specula.Kernels;

namespace Specula.Models;

/// <summary>
/// A loaded model: configuration plus weights, read in place from a memory-mapped GGUF file. Immutable and
/// shareable; running it needs a <see cref="Runtime.ModelRunner"/> (scratch buffers and a KV cache).
/// </summary>
public sealed class TransformerModel : IDisposable
{
    readonly bool _ownsFile;

    public GgufReader File { get; }
    public ModelConfig Config { get; }
    public TokenEmbedding TokenEmbedding { get; }
    public IReadOnlyList<LayerWeights> Layers { get; }
    public float[] OutputNorm { get; }
    /// <summary>The output head; the token embedding matrix itself when the file has no output.weight (tied).</summary>
    public WeightMatrix Output { get; }
    public bool TiedEmbeddings { get; }
    /// <summary>Optional bias of the output head (output.bias), or null.</summary>
    public float[]? OutputBias { get; }
    /// <summary>Llama 3's per-dimension RoPE frequency divisors (rope_freqs.weight), or empty.</summary>
    public float[] RopeFrequencyFactors { get; }

    TransformerModel(GgufReader file, bool ownsFile)
    {
        File = file;
        _ownsFile = ownsFile;
        var c = Config = ModelConfig.FromGguf(file);

        var embeddingInfo = file.GetTensor("token_embd.weight");
        TokenEmbedding = new TokenEmbedding(file, embeddingInfo, c.EmbeddingLength, c.VocabularySize);

        var layers = new LayerWeights[c.LayerCount];
        for (int i = 0; i < layers.Length; i++) layers[i] = LoadLayer(file, c, i);
        Layers = layers;

        OutputNorm = TensorData.Vector(file, "output_norm.weight", c.EmbeddingLength);
        var output = TensorData.OptionalMatrix(file, "output.weight", c.EmbeddingLength, c.VocabularySize);
        TiedEmbeddings = output == null;
        OutputBias = TensorData.OptionalVector(file, "output.bias", c.VocabularySize);
        Output = output ?? TensorData.Matrix(file, "token_embd.weight", c.EmbeddingLength, c.VocabularySize);

        RopeFrequencyFactors = TensorData.OptionalVector(file, "rope_freqs.weight", c.RopeDimensionCount / 2) ?? [];
    }

    /// <summary>Opens a GGUF model file. Errors name the problem: a missing file, a malformed GGUF, an
    /// unsupported architecture, a tensor of the wrong shape or of a type the kernels cannot run.</summary>
    public static TransformerModel Load(string path)
    {
        var file = GgufReader.Open(path);
        try
        {
            return new TransformerModel(file, ownsFile: true);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Builds a model over an already open file, which the caller keeps and disposes.</summary>
    public static TransformerModel FromGguf(GgufReader file) => new(file, ownsFile: false);

    static LayerWeights LoadLayer(GgufReader f, ModelConfig c, int i)
    {
        string p = $"blk.{i}.";
        int d = c.EmbeddingLength;
        bool qkNorm = c.HasQkNorm;
        return new LayerWeights
        {
            AttentionNorm = TensorData.Vector(f, p + "attn_norm.weight", d),
            Query = TensorData.Matrix(f, p + "attn_q.weight", d, c.QueryDimension),
            Key = TensorData.Matrix(f, p + "attn_k.weight", d, c.KeyValueDimension),
            Value = TensorData.Matrix(f, p + "attn_v.weight", d, c.ValueDimension),
            AttentionOutput = TensorData.Matrix(f, p + "attn_output.weight", c.AttentionOutputDimension, d),
            QueryBias = TensorData.OptionalVector(f, p + "attn_q.bias", c.QueryDimension),
            KeyBias = TensorData.OptionalVector(f, p + "attn_k.bias", c.KeyValueDimension),
            ValueBias = TensorData.OptionalVector(f, p + "attn_v.bias", c.ValueDimension),
            AttentionOutputBias = TensorData.OptionalVector(f, p + "attn_output.bias", d),
            QueryNorm = qkNorm ? TensorData.Vector(f, p + "attn_q_norm.weight", c.KeyLength) : null,
            KeyNorm = qkNorm ? TensorData.Vector(f, p + "attn_k_norm.weight", c.KeyLength) : null,
            FeedForwardNorm = TensorData.Vector(f, p + "ffn_norm.weight", d),
            Gate = TensorData.Matrix(f, p + "ffn_gate.weight", d, c.FeedForwardLength),
            Up = TensorData.Matrix(f, p + "ffn_up.weight", d, c.FeedForwardLength),
            Down = TensorData.Matrix(f, p + "ffn_down.weight", c.FeedForwardLength, d),
        };
    }

    public void Dispose()
    {
        if (_ownsFile) File.Dispose();
    }
}
