using System.Text;
using Specula.Gguf;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>
/// Pre-tokenizer word boundaries against llama.cpp, made visible. With a real vocabulary two different splits often
/// give the same ids (nothing merges across the boundary). Here the vocabulary is built from the probe texts: every
/// substring of up to <see cref="MaxLength"/> bytes is a token and every split of it is a merge, so BPE merges any
/// word into a single token and the ids spell out exactly where the pre-tokenizer cut. One vocabulary per
/// pre-tokenizer name, compared on the same texts.
/// </summary>
public class WordBoundaryTests
{
    const int MaxLength = 10;

    static readonly Lazy<string[]> Probes = new(() =>
        [.. DifferentialStrings.Handwritten, .. DifferentialStrings.Random(seed: 4242, count: 60),
         .. TokenizerFixtures.Cases.Where(text => Encoding.UTF8.GetByteCount(text) <= 120)]);

    static readonly Lazy<(string[] Tokens, string[] Merges)> Vocabulary = new(() => Build(Probes.Value));

    static (string[] Tokens, string[] Merges) Build(string[] probes)
    {
        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
        {
            string single = ByteChar((byte)b);
            tokens.Add(single);
            seen.Add(single);
        }
        var merges = new List<string>();
        for (int length = 2; length <= MaxLength; length++)
        {
            foreach (string probe in probes)
            {
                string encoded = string.Concat(Encoding.UTF8.GetBytes(probe).Select(ByteChar));
                for (int start = 0; start + length <= encoded.Length; start++)
                {
                    string token = encoded.Substring(start, length);
                    if (!seen.Add(token)) continue;
                    tokens.Add(token);
                    for (int split = 1; split < length; split++)
                        merges.Add(token[..split] + " " + token[split..]);
                }
            }
        }
        return (tokens.ToArray(), merges.ToArray());
    }

    /// <summary>GPT-2's byte alphabet (printable Latin-1 stands for itself, the rest from U+0100 on).</summary>
    static string ByteChar(byte b)
    {
        int next = 256;
        for (int x = 0; x < 256; x++)
        {
            bool printable = x is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            if (x == b) return ((char)(printable ? x : next)).ToString();
            if (!printable) next++;
        }
        throw new InvalidOperationException();
    }

    public static IEnumerable<object[]> PreTokenizers() =>
        new[] { "llama-bpe", "qwen2", "gpt-2", "default", "smollm", "tekken", "gpt-4o", "dbrx" }.Select(p => new object[] { p });

    [Theory]
    [MemberData(nameof(PreTokenizers))]
    public void WordsMatchLlamaCpp(string pre)
    {
        string directory = Directory.CreateTempSubdirectory("specula-words-").FullName;
        try
        {
            string path = Path.Combine(directory, "words.gguf");
            var (tokens, merges) = Vocabulary.Value;
            var writer = new GgufWriter();
            using (var source = GgufReader.Open(TokenizerFixtures.GgufPath("llama3-bpe")))
                foreach (string key in source.MetadataKeys)
                    if (!key.StartsWith("tokenizer.", StringComparison.Ordinal) && key != "general.alignment")
                        writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);
            writer.Set("tokenizer.ggml.model", "gpt2")
                  .Set("tokenizer.ggml.pre", pre)
                  .Set("tokenizer.ggml.tokens", tokens)
                  .Set("tokenizer.ggml.token_type", Enumerable.Repeat(1, tokens.Length).ToArray())
                  .Set("tokenizer.ggml.merges", merges)
                  .Set("tokenizer.ggml.add_bos_token", false)
                  .WriteTo(path);

            var ours = TokenizerFixtures.LoadFile(path);
            using var theirs = new LlamaCppVocabulary(path);
            var mismatches = new List<string>();
            foreach (string text in Probes.Value)
            {
                int[] expected = theirs.Tokenize(text, addSpecial: false, parseSpecial: false);
                int[] actual = ours.Encode(text, addSpecial: false);
                if (!expected.AsSpan().SequenceEqual(actual))
                    mismatches.Add($"{System.Text.Json.JsonSerializer.Serialize(text)}: llama.cpp [{Words(ours, expected)}] ours [{Words(ours, actual)}]");
            }
            Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {Probes.Value.Length} texts split differently:\n" + string.Join("\n", mismatches.Take(6)));
        }
        finally { Directory.Delete(directory, recursive: true); }
    }

    static string Words(Specula.Tokenization.Tokenizer tokenizer, int[] ids) =>
        string.Join("|", ids.Select(id => System.Text.Json.JsonSerializer.Serialize(Encoding.UTF8.GetString(tokenizer.TokenToPieceBytes(id, true)))));
}
