using System.Runtime.InteropServices;
using Specula.Gguf;
using Specula.Tensors;

namespace Specula.Models;

/// <summary>
/// Writes a deterministic pseudo-random model as a GGUF file that both this engine and llama.cpp load:
/// weight matrices uniform with the requested standard deviation, norm weights near 1, metadata under the
/// family's keys. Speed does not depend on the weights' values, and llama.cpp gives the reference logits,
/// so such files serve differential tests and benchmarks of any shape and quantization.
/// </summary>
public static class SyntheticModel
{
    public static void Write(SyntheticModelSpec spec, string path) => Build(spec).WriteTo(path);

    public static GgufWriter Build(SyntheticModelSpec spec)
    {
        var s = spec;
        if (s.EmbeddingLength <= 0 || s.LayerCount <= 0 || s.FeedForwardLength <= 0 || s.HeadCount <= 0 || s.KvHeadCount <= 0)
            throw new ArgumentException("synthetic model dimensions must be positive");
        if (s.HeadCount % s.KvHeadCount != 0)
            throw new ArgumentException($"{s.HeadCount} heads are not a multiple of {s.KvHeadCount} key/value heads");
        if (s.HeadDimension == 0 && s.EmbeddingLength % s.HeadCount != 0)
            throw new ArgumentException($"embedding length {s.EmbeddingLength} is not a multiple of {s.HeadCount} heads; set HeadDimension");
        int headDim = s.HeadDimension > 0 ? s.HeadDimension : s.EmbeddingLength / s.HeadCount;
        if (headDim % 2 != 0) throw new ArgumentException($"head size {headDim} must be even for RoPE");
        if (s.RopeFrequencyFactors && s.Architecture != ModelArchitecture.Llama)
            throw new ArgumentException("RoPE frequency factors are a llama-family feature");
        bool qwen = s.Architecture != ModelArchitecture.Llama;
        float ropeBase = s.RopeFreqBase > 0 ? s.RopeFreqBase : qwen ? 1_000_000f : 10_000f;
        float epsilon = s.RmsEpsilon > 0 ? s.RmsEpsilon : qwen ? 1e-6f : 1e-5f;

        string arch = s.Architecture.GgufName();
        var writer = new GgufWriter();
        writer.Set("general.architecture", arch);
        writer.Set("general.name", s.Name);
        writer.Set("general.alignment", (uint)GgufReader.DefaultAlignment);
        writer.Set($"{arch}.context_length", (uint)s.ContextLength);
        writer.Set($"{arch}.embedding_length", (uint)s.EmbeddingLength);
        writer.Set($"{arch}.block_count", (uint)s.LayerCount);
        writer.Set($"{arch}.feed_forward_length", (uint)s.FeedForwardLength);
        writer.Set($"{arch}.attention.head_count", (uint)s.HeadCount);
        writer.Set($"{arch}.attention.head_count_kv", (uint)s.KvHeadCount);
        if (s.HeadDimension > 0 || s.Architecture == ModelArchitecture.Qwen3)
        {
            writer.Set($"{arch}.attention.key_length", (uint)headDim);
            writer.Set($"{arch}.attention.value_length", (uint)headDim);
        }
        writer.Set($"{arch}.rope.dimension_count", (uint)headDim);
        writer.Set($"{arch}.rope.freq_base", ropeBase);
        writer.Set($"{arch}.attention.layer_norm_rms_epsilon", epsilon);

        int vocabulary = WriteTokenizer(writer, s);
        writer.Set($"{arch}.vocab_size", (uint)vocabulary);

        int d = s.EmbeddingLength, q = s.HeadCount * headDim, kv = s.KvHeadCount * headDim, ff = s.FeedForwardLength;
        var random = new TensorRandom(s.Seed);
        void Matrix(string name, int columns, int rows, GgmlType? type = null) =>
            AddMatrix(writer, name, type ?? s.TensorType, columns, rows, random.Uniform(name, (long)columns * rows, s.WeightStd));
        void Vector(string name, int length, float center, float std) =>
            writer.AddTensor(name, [length], random.Uniform(name, length, std, center));

        Matrix("token_embd.weight", d, vocabulary, s.EmbeddingType);
        Vector("output_norm.weight", d, 1.0f, 0.05f);
        if (!s.TiedEmbeddings) Matrix("output.weight", d, vocabulary, s.OutputType);
        if (s.RopeFrequencyFactors) writer.AddTensor("rope_freqs.weight", [headDim / 2], Llama3FrequencyFactors(headDim, ropeBase));

        for (int i = 0; i < s.LayerCount; i++)
        {
            string p = $"blk.{i}.";
            Vector(p + "attn_norm.weight", d, 1.0f, 0.05f);
            Matrix(p + "attn_q.weight", d, q);
            Matrix(p + "attn_k.weight", d, kv);
            Matrix(p + "attn_v.weight", d, kv);
            Matrix(p + "attn_output.weight", q, d);
            if (s.Architecture == ModelArchitecture.Qwen2)
            {
                Vector(p + "attn_q.bias", q, 0f, 0.1f);
                Vector(p + "attn_k.bias", kv, 0f, 0.1f);
                Vector(p + "attn_v.bias", kv, 0f, 0.1f);
            }
            if (s.Architecture == ModelArchitecture.Qwen3)
            {
                Vector(p + "attn_q_norm.weight", headDim, 1.0f, 0.05f);
                Vector(p + "attn_k_norm.weight", headDim, 1.0f, 0.05f);
            }
            Vector(p + "ffn_norm.weight", d, 1.0f, 0.05f);
            Matrix(p + "ffn_gate.weight", d, ff);
            Matrix(p + "ffn_up.weight", d, ff);
            Matrix(p + "ffn_down.weight", ff, d);
        }
        return writer;
    }

    static void AddMatrix(GgufWriter writer, string name, GgmlType type, int columns, int rows, float[] values)
    {
        if (type == GgmlType.F32)
        {
            writer.AddTensor(name, [columns, rows], values);
            return;
        }
        var info = GgmlTypeInfo.Get(type);
        if (columns % info.BlockSize != 0)
            throw new ArgumentException($"tensor '{name}' has rows of {columns} values, not a multiple of {type}'s block size {info.BlockSize}");
        var bytes = Quantize.Tensor(type, values, columns);
        writer.AddTensor(name, type, [columns, rows], bytes);
    }

    /// <summary>Copies tokenizer.* metadata from the source GGUF, or writes a placeholder vocabulary of
    /// &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;, the 256 byte tokens and filler pieces. Returns the vocabulary size.</summary>
    static int WriteTokenizer(GgufWriter writer, SyntheticModelSpec s)
    {
        if (s.TokenizerSource != null)
        {
            using var source = GgufReader.Open(s.TokenizerSource);
            var tokens = source.GetStringArray("tokenizer.ggml.tokens")
                ?? throw new InvalidDataException($"{s.TokenizerSource} has no tokenizer.ggml.tokens");
            foreach (string key in source.MetadataKeys)
                if (key.StartsWith("tokenizer.", StringComparison.Ordinal))
                    writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);
            return tokens.Length;
        }

        int count = Math.Max(s.VocabularySize, 259);
        var pieces = new string[count];
        var scores = new float[count];
        var types = new int[count];
        pieces[0] = "<unk>"; types[0] = 2;
        pieces[1] = "<s>"; types[1] = 3;
        pieces[2] = "</s>"; types[2] = 3;
        for (int b = 0; b < 256; b++) { pieces[3 + b] = $"<0x{b:X2}>"; types[3 + b] = 6; }
        for (int i = 259; i < count; i++) { pieces[i] = $"▁t{i}"; types[i] = 1; scores[i] = -i; }
        writer.Set("tokenizer.ggml.model", "llama");
        writer.Set("tokenizer.ggml.tokens", pieces);
        writer.Set("tokenizer.ggml.scores", scores);
        writer.Set("tokenizer.ggml.token_type", types);
        writer.Set("tokenizer.ggml.bos_token_id", 1u);
        writer.Set("tokenizer.ggml.eos_token_id", 2u);
        writer.Set("tokenizer.ggml.unknown_token_id", 0u);
        return count;
    }

    /// <summary>Factors shaped like Llama 3.1's (1 for high frequencies, up to 8 for low ones, smooth between),
    /// computed for this head size and base.</summary>
    static float[] Llama3FrequencyFactors(int headDim, float ropeBase)
    {
        const double factor = 8, lowFreqFactor = 1, highFreqFactor = 4, originalContext = 64;
        double lowWavelength = originalContext / lowFreqFactor, highWavelength = originalContext / highFreqFactor;
        var factors = new float[headDim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double frequency = 1.0 / Math.Pow(ropeBase, 2.0 * i / headDim);
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < highWavelength) factors[i] = 1;
            else if (wavelength > lowWavelength) factors[i] = (float)factor;
            else
            {
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                factors[i] = (float)(1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }

    /// <summary>Deterministic values per (seed, tensor name): SplitMix64 seeded from both.</summary>
    sealed class TensorRandom(ulong seed)
    {
        public float[] Uniform(string name, long count, float std, float center = 0)
        {
            ulong state = seed * 0x9E3779B97F4A7C15UL;
            foreach (char c in name) state = (state ^ c) * 0x100000001B3UL;
            // Uniform on [-a, a) has standard deviation a / sqrt(3).
            float amplitude = std * MathF.Sqrt(3);
            var values = new float[count];
            for (long i = 0; i < count; i++)
            {
                ulong z = state += 0x9E3779B97F4A7C15UL;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                double unit = (z >> 11) * (1.0 / (1UL << 53)); // [0, 1)
                values[i] = center + amplitude * (float)(2 * unit - 1);
            }
            return values;
        }
    }
}
