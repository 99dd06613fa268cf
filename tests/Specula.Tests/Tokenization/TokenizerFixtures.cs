using System.Collections.Concurrent;
using System.Text.Json;
using Specula.Gguf;
using Specula.Tokenization;

namespace Specula.Tests.Tokenization;

/// <summary>llama.cpp's answers for one case of fixtures/tokenizer-cases.txt with one vocabulary.</summary>
public sealed record ExpectedTokenization(string Text, int[] Ids, int[] IdsParseSpecial, string Detok, string DetokParseSpecial);

/// <summary>The shared tokenizer fixtures (see /work/shared/fixtures/README.md), loaded once per test run.</summary>
static class TokenizerFixtures
{
    public static readonly string[] Vocabularies = ["llama2-spm", "llama3-bpe", "qwen3-bpe"];

    public static string GgufPath(string vocabulary) => TestPaths.Shared($"fixtures/gguf/{vocabulary}.gguf");

    static readonly Lazy<string[]> LazyCases = new(() =>
        File.ReadAllLines(TestPaths.Shared("fixtures/tokenizer-cases.txt"))
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<string>(line) ?? throw new InvalidDataException($"bad case line: {line}"))
            .ToArray());

    public static string[] Cases => LazyCases.Value;

    static readonly ConcurrentDictionary<string, Lazy<ExpectedTokenization[]>> ExpectedByVocabulary = new();

    public static ExpectedTokenization[] Expected(string vocabulary) =>
        ExpectedByVocabulary.GetOrAdd(vocabulary, v => new Lazy<ExpectedTokenization[]>(() => ReadExpected(v))).Value;

    static ExpectedTokenization[] ReadExpected(string vocabulary) =>
        File.ReadAllLines(TestPaths.Shared($"fixtures/expected-{vocabulary}.jsonl"))
            .Where(line => line.Length > 0)
            .Select(line =>
            {
                var e = JsonDocument.Parse(line).RootElement;
                return new ExpectedTokenization(
                    e.GetProperty("text").GetString()!,
                    Ints(e.GetProperty("ids")),
                    Ints(e.GetProperty("ids_parse_special")),
                    e.GetProperty("detok").GetString()!,
                    e.GetProperty("detok_parse_special").GetString()!);
            })
            .ToArray();

    static int[] Ints(JsonElement array) => array.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Tokenizers = new();

    /// <summary>The tokenizer of a fixture GGUF (built once and shared: tokenizers are thread-safe).</summary>
    public static Tokenizer Load(string vocabulary) =>
        Tokenizers.GetOrAdd(vocabulary, v => new Lazy<Tokenizer>(() => LoadFile(GgufPath(v)))).Value;

    public static Tokenizer LoadFile(string path)
    {
        using var gguf = GgufReader.Open(path);
        return Tokenizer.FromGguf(gguf);
    }
}
