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

    static Tokenizer LoadOurs(string name) =>
        TokenizerFixtures.Vocabularies.Contains(name) ? TokenizerFixtures.Load(name) : TokenizerFixtures.LoadFile(PathOf(name));

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
        var tokenizer = LoadOurs(name);
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

    /// <summary>Each vocabulary is loaded once (both sides) and checked on every aspect, then released: holding
    /// twenty 150k-token vocabularies in llama.cpp at once would take gigabytes.</summary>
    [Theory]
    [MemberData(nameof(AllVocabularies))]
    public void MatchesLlamaCpp(string name)
    {
        var ours = LoadOurs(name);
        using var theirs = new LlamaCppVocabulary(PathOf(name));
        var failures = new List<string>();
        foreach (var (aspect, check) in new (string, Func<Tokenizer, LlamaCppVocabulary, string, (List<string>, int)>)[]
                 { ("encoding", CheckEncoding), ("decoding", CheckDecoding), ("pieces", CheckPieces), ("special tokens", CheckSpecialTokens) })
        {
            var (mismatches, count) = check(ours, theirs, name);
            Assert.True(count > 0, $"{aspect}: nothing was compared");
            if (mismatches.Count > 0)
                failures.Add($"{aspect}: {mismatches.Count} of {count} differ from llama.cpp:\n  " + string.Join("\n  ", mismatches.Take(6)));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    static (List<string>, int) CheckEncoding(Tokenizer ours, LlamaCppVocabulary theirs, string name)
    {
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
        return (mismatches, count);
    }

    static (List<string>, int) CheckDecoding(Tokenizer ours, LlamaCppVocabulary theirs, string name)
    {
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
        return (mismatches, count);
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

    /// <summary>Every token's piece, with and without special tokens shown.</summary>
    static (List<string>, int) CheckPieces(Tokenizer ours, LlamaCppVocabulary theirs, string name)
    {
        var mismatches = new List<string>();
        if (theirs.Count != ours.VocabSize) mismatches.Add($"vocabulary size: llama.cpp {theirs.Count}, ours {ours.VocabSize}");
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
        return (mismatches, ours.VocabSize * 2);
    }

    /// <summary>BOS/EOS/EOT/PAD, add_bos, and for every token its attributes and whether it ends generation.</summary>
    static (List<string>, int) CheckSpecialTokens(Tokenizer ours, LlamaCppVocabulary theirs, string name)
    {
        var mismatches = new List<string>();
        var expectedIds = (theirs.Bos, theirs.Eos, theirs.Eot, theirs.Pad, theirs.AddBos);
        var actualIds = (ours.BosId, ours.EosId, ours.EotId, ours.PadId, ours.AddBos);
        if (expectedIds != actualIds) mismatches.Add($"(bos, eos, eot, pad, add_bos): llama.cpp {expectedIds}, ours {actualIds}");
        for (int id = 0; id < ours.VocabSize; id++)
        {
            if (theirs.IsEndOfGeneration(id) != ours.IsEndOfGeneration(id))
                mismatches.Add($"{id} {Show(ours.TokenText(id))}: llama.cpp EOG {theirs.IsEndOfGeneration(id)}, ours {ours.IsEndOfGeneration(id)}");
            if (theirs.Attributes(id) != (int)ours.GetAttributes(id))
                mismatches.Add($"{id} {Show(ours.TokenText(id))}: llama.cpp attributes {theirs.Attributes(id)}, ours {(int)ours.GetAttributes(id)} ({ours.GetAttributes(id)})");
        }
        return (mismatches, ours.VocabSize + 1);
    }
}
