using System.Collections.Concurrent;
using System.Text;
using Specula.Tests.Reference;
using Specula.Tokenization;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>
/// Our tokenizers against llama.cpp itself on texts and ids the fixtures do not hold: made-up and random texts,
/// random id sequences, every token's piece, and the special ids, attributes and end-of-generation set — for the
/// fixture vocabularies, the stories260K model, and vocabulary variants that exercise every pre-tokenizer family.
/// </summary>
public class LlamaCppDifferentialTests
{
    static readonly (bool AddSpecial, bool ParseSpecial)[] EncodeModes = [(true, false), (true, true), (false, false), (false, true)];
    static readonly (bool RemoveSpecial, bool UnparseSpecial)[] DecodeModes = [(false, false), (false, true), (true, false), (true, true)];

    public static IEnumerable<object[]> FixtureModels() =>
        TokenizerFixtures.Vocabularies.Append("stories260K").Select(name => new object[] { name });

    public static IEnumerable<object[]> AllVocabularies() =>
        TokenizerFixtures.Vocabularies.Append("stories260K")
            .Concat(SyntheticVocabularies.Variants.Select(v => v.Name))
            .Select(name => new object[] { name });

    static string PathOf(string name) => name switch
    {
        "stories260K" => TestPaths.Shared("models/stories260K.gguf"),
        _ when TokenizerFixtures.Vocabularies.Contains(name) => TokenizerFixtures.GgufPath(name),
        _ => SyntheticVocabularies.PathOf(name),
    };

    static readonly ConcurrentDictionary<string, Lazy<(Tokenizer Ours, LlamaCppVocabulary Theirs)>> Loaded = new();

    static (Tokenizer Ours, LlamaCppVocabulary Theirs) Load(string name) =>
        Loaded.GetOrAdd(name, n => new(() => (TokenizerFixtures.LoadFile(PathOf(n)), new LlamaCppVocabulary(PathOf(n))))).Value;

    static int SeedOf(string name) => name.Aggregate(17, (hash, c) => hash * 31 + c);

    static void AssertNoMismatches(List<string> mismatches, int checkedCount)
    {
        Assert.True(checkedCount > 0, "nothing was compared");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {checkedCount} differ from llama.cpp:\n" + string.Join("\n", mismatches.Take(8)));
    }

    static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    [Theory]
    [MemberData(nameof(FixtureModels))]
    public void EncodingMadeUpTextsMatchesLlamaCppModel(string name)
    {
        // The full model through the shared reference harness, as the engine will load it.
        using var reference = new LlamaCppReference(PathOf(name));
        var tokenizer = Load(name).Ours;
        var mismatches = new List<string>();
        int count = 0;
        foreach (string text in DifferentialStrings.All(SeedOf(name)))
        {
            foreach (var (addSpecial, parseSpecial) in EncodeModes)
            {
                count++;
                int[] expected = reference.Tokenize(text, addSpecial, parseSpecial);
                int[] actual = tokenizer.Encode(text, addSpecial, parseSpecial);
                if (!expected.AsSpan().SequenceEqual(actual))
                    mismatches.Add($"{Show(text)} add={addSpecial} parse={parseSpecial}: llama.cpp [{string.Join(",", expected)}] ours [{string.Join(",", actual)}]");
            }
        }
        AssertNoMismatches(mismatches, count);
    }

    [Theory]
    [MemberData(nameof(AllVocabularies))]
    public void EncodingMatchesLlamaCpp(string name)
    {
        var (ours, theirs) = Load(name);
        var mismatches = new List<string>();
        int count = 0;
        foreach (string text in DifferentialStrings.All(SeedOf(name) + 1).Concat(TokenizerFixtures.Cases))
        {
            foreach (var (addSpecial, parseSpecial) in EncodeModes)
            {
                count++;
                int[] expected = theirs.Tokenize(text, addSpecial, parseSpecial);
                int[] actual = ours.Encode(text, addSpecial, parseSpecial);
                if (!expected.AsSpan().SequenceEqual(actual))
                    mismatches.Add($"{Show(text)} add={addSpecial} parse={parseSpecial}: llama.cpp [{string.Join(",", expected)}] ours [{string.Join(",", actual)}]");
            }
        }
        AssertNoMismatches(mismatches, count);
    }

    [Theory]
    [MemberData(nameof(AllVocabularies))]
    public void DecodingMatchesLlamaCpp(string name)
    {
        var (ours, theirs) = Load(name);
        var sequences = new List<int[]>();
        foreach (string text in DifferentialStrings.All(SeedOf(name) + 2))
        {
            sequences.Add(theirs.Tokenize(text, addSpecial: true, parseSpecial: true));
            sequences.Add(theirs.Tokenize(text, addSpecial: false, parseSpecial: false));
        }
        sequences.AddRange(RandomIdSequences(ours, SeedOf(name) + 3, 200));

        var mismatches = new List<string>();
        int count = 0;
        foreach (int[] ids in sequences)
        {
            foreach (var (removeSpecial, unparseSpecial) in DecodeModes)
            {
                count++;
                string expected = Encoding.UTF8.GetString(theirs.Detokenize(ids, removeSpecial, unparseSpecial));
                string actual = ours.Decode(ids, removeSpecial, unparseSpecial);
                if (expected != actual)
                    mismatches.Add($"[{string.Join(",", ids)}] remove={removeSpecial} unparse={unparseSpecial}: llama.cpp {Show(expected)} ours {Show(actual)}");
            }
        }
        AssertNoMismatches(mismatches, count);
    }

    /// <summary>Random ids, a third of them from the special and byte tokens, to hit every detokenization rule.</summary>
    static IEnumerable<int[]> RandomIdSequences(Tokenizer tokenizer, int seed, int count)
    {
        var random = new Random(seed);
        var special = Enumerable.Range(0, tokenizer.VocabSize).Where(id => tokenizer.GetAttributes(id) != TokenAttributes.Normal).ToArray();
        for (int i = 0; i < count; i++)
        {
            var ids = new int[random.Next(1, 13)];
            for (int k = 0; k < ids.Length; k++)
                ids[k] = special.Length > 0 && random.Next(3) == 0 ? special[random.Next(special.Length)] : random.Next(tokenizer.VocabSize);
            if (tokenizer.BosId is int bos && random.Next(4) == 0) ids[0] = bos;
            if (tokenizer.EosId is int eos && random.Next(4) == 0) ids[^1] = eos;
            yield return ids;
        }
    }

    [Theory]
    [MemberData(nameof(AllVocabularies))]
    public void EveryTokenPieceMatchesLlamaCpp(string name)
    {
        var (ours, theirs) = Load(name);
        Assert.Equal(theirs.Count, ours.VocabSize);
        var mismatches = new List<string>();
        for (int id = 0; id < ours.VocabSize; id++)
        {
            foreach (bool special in new[] { false, true })
            {
                byte[] expected = theirs.TokenToPiece(id, special);
                byte[] actual = ours.TokenToPieceBytes(id, special);
                if (!expected.AsSpan().SequenceEqual(actual))
                    mismatches.Add($"{id} {Show(ours.TokenText(id))} special={special}: llama.cpp {Convert.ToHexString(expected)} ours {Convert.ToHexString(actual)}");
            }
        }
        AssertNoMismatches(mismatches, ours.VocabSize * 2);
    }

    [Theory]
    [MemberData(nameof(AllVocabularies))]
    public void SpecialIdsAttributesAndEndOfGenerationMatchLlamaCpp(string name)
    {
        var (ours, theirs) = Load(name);
        Assert.Equal(theirs.Bos, ours.BosId);
        Assert.Equal(theirs.Eos, ours.EosId);
        Assert.Equal(theirs.Eot, ours.EotId);
        Assert.Equal(theirs.Pad, ours.PadId);
        Assert.Equal(theirs.AddBos, ours.AddBos);
        var mismatches = new List<string>();
        for (int id = 0; id < ours.VocabSize; id++)
        {
            if (theirs.IsEndOfGeneration(id) != ours.IsEndOfGeneration(id))
                mismatches.Add($"{id} {Show(ours.TokenText(id))}: llama.cpp EOG {theirs.IsEndOfGeneration(id)}, ours {ours.IsEndOfGeneration(id)}");
            if (theirs.Attributes(id) != (int)ours.GetAttributes(id))
                mismatches.Add($"{id} {Show(ours.TokenText(id))}: llama.cpp attributes {theirs.Attributes(id)}, ours {(int)ours.GetAttributes(id)} ({ours.GetAttributes(id)})");
        }
        AssertNoMismatches(mismatches, ours.VocabSize);
    }
}
