using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>Every case of fixtures/tokenizer-cases.txt, with every fixture vocabulary, in every field llama.cpp
/// answered: ids, ids with parse_special, and the detokenization of each. Exact match.</summary>
public class FixtureParityTests
{
    public static readonly string[] Fields = ["ids", "ids_parse_special", "detok", "detok_parse_special"];

    public static IEnumerable<object[]> AllCases()
    {
        foreach (string vocabulary in TokenizerFixtures.Vocabularies)
            for (int i = 0; i < TokenizerFixtures.Cases.Length; i++)
                foreach (string field in Fields)
                    yield return [vocabulary, i, field];
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void MatchesLlamaCpp(string vocabulary, int caseIndex, string field)
    {
        var tokenizer = TokenizerFixtures.Load(vocabulary);
        var expected = TokenizerFixtures.Expected(vocabulary)[caseIndex];
        string text = TokenizerFixtures.Cases[caseIndex];
        Assert.Equal(expected.Text, text);
        switch (field)
        {
            case "ids": Assert.Equal(expected.Ids, tokenizer.Encode(text, addSpecial: true, parseSpecial: false)); break;
            case "ids_parse_special": Assert.Equal(expected.IdsParseSpecial, tokenizer.Encode(text, addSpecial: true, parseSpecial: true)); break;
            case "detok": Assert.Equal(expected.Detok, tokenizer.Decode(expected.Ids, removeSpecial: false, unparseSpecial: false)); break;
            case "detok_parse_special": Assert.Equal(expected.DetokParseSpecial, tokenizer.Decode(expected.IdsParseSpecial, removeSpecial: false, unparseSpecial: true)); break;
            default: throw new ArgumentException($"unknown field {field}");
        }
    }

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void FixtureFilesHoldOneAnswerPerCase(string vocabulary)
    {
        Assert.Equal(219, TokenizerFixtures.Cases.Length);
        Assert.Equal(TokenizerFixtures.Cases, TokenizerFixtures.Expected(vocabulary).Select(e => e.Text));
    }

    public static IEnumerable<object[]> Vocabularies() => TokenizerFixtures.Vocabularies.Select(v => new object[] { v });
}
