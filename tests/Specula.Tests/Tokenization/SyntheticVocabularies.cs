using System.Collections.Concurrent;
using Specula.Gguf;

namespace Specula.Tests.Tokenization;

/// <summary>
/// Vocabulary-only GGUF files made from the fixture vocabularies with one setting changed (the pre-tokenizer name,
/// the model name that triggers Phi-3's special-token stripping, add_bos/add_eos/add_space_prefix), so every
/// pre-tokenizer family and load rule can be compared with llama.cpp on a real vocabulary. Written once per test
/// run into a temporary directory, deleted at exit.
/// </summary>
static class SyntheticVocabularies
{
    public sealed record Variant(string Name, string Source, string[] Omit, Action<GgufWriter> Edit);

    public static readonly Variant[] Variants =
    [
        new("llama3-pre-gpt-2", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "gpt-2")),
        new("llama3-pre-default", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "default")),
        new("llama3-pre-missing", "llama3-bpe", ["tokenizer.ggml.pre"], w => { }),
        new("llama3-pre-smollm", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "smollm")),
        new("llama3-pre-starcoder", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "starcoder")),
        new("llama3-pre-qwen2", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "qwen2")),
        new("llama3-pre-stablelm2", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "stablelm2")),
        new("llama3-pre-dbrx", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "dbrx")),
        new("llama3-pre-tekken", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "tekken")),
        new("llama3-pre-gpt-4o", "llama3-bpe", [], w => w.Set("tokenizer.ggml.pre", "gpt-4o")),
        new("qwen3-pre-llama4", "qwen3-bpe", [], w => w.Set("tokenizer.ggml.pre", "llama4")),
        new("llama3-add-bos-false", "llama3-bpe", [], w => w.Set("tokenizer.ggml.add_bos_token", false)),
        new("llama3-add-eos-no-bos-key", "llama3-bpe", ["tokenizer.ggml.add_bos_token"], w => w.Set("tokenizer.ggml.add_eos_token", true)),
        new("qwen3-pre-llama-bpe", "qwen3-bpe", ["tokenizer.ggml.add_bos_token"], w => w.Set("tokenizer.ggml.pre", "llama-bpe")),
        new("qwen3-phi3-name", "qwen3-bpe", [], w => w.Set("general.name", "Phi-3-mini-4k-instruct")),
        new("llama2-no-prefix-add-eos", "llama2-spm", [], w => w.Set("tokenizer.ggml.add_space_prefix", false).Set("tokenizer.ggml.add_eos_token", true)),
    ];

    static readonly string Directory = Path.Combine(Path.GetTempPath(), $"specula-tokenizer-tests-{Environment.ProcessId}");
    static readonly ConcurrentDictionary<string, Lazy<string>> Paths = new();

    static SyntheticVocabularies()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { }
        };
    }

    /// <summary>The path of the variant's GGUF file, written on first use.</summary>
    public static string PathOf(string name) =>
        Paths.GetOrAdd(name, n => new Lazy<string>(() => Write(Variants.Single(v => v.Name == n)))).Value;

    static string Write(Variant variant)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string path = Path.Combine(Directory, variant.Name + ".gguf");
        using var source = GgufReader.Open(TokenizerFixtures.GgufPath(variant.Source));
        var writer = new GgufWriter();
        foreach (string key in source.MetadataKeys)
            if (!variant.Omit.Contains(key) && key != "general.alignment")
                writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);
        variant.Edit(writer);
        writer.WriteTo(path);
        return path;
    }
}
