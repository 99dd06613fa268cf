using System.Text;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>
/// Our Unicode classes (letter, number, whitespace, other) against llama.cpp's tables, observed through
/// tokenization with probes whose ids change with the class: <c>"1" + c + "11"</c> (is c a number: digits group in
/// threes), <c>c + "'s"</c> (is c a letter: the contraction splits off), <c>"\t" + c + " a"</c> (is c whitespace).
/// A sample of all code points, plus every code point near the Unicode 16 additions llama.cpp does not know.
/// </summary>
public class CodepointClassTests
{
    static IEnumerable<int> SampledCodepoints()
    {
        for (int c = 0x80; c <= 0x10FFFF; c += 101) yield return c;
        int[] edges = [0x1C89, 0xA7CB, 0x105C0, 0x10D40, 0x10D4A, 0x10D65, 0x10D6F, 0x10D85, 0x116D0, 0x11BF0, 0x13460, 0x143FA,
                       0x16100, 0x16130, 0x16D40, 0x16D70, 0x18CFF, 0x1CCF0, 0x1E5D0, 0x1E5F0, 0x1E5FA, 0x2EBF0, 0x31350, 0x323AF];
        foreach (int edge in edges)
            for (int c = edge - 2; c <= edge + 2; c++) yield return c;
        int[] whitespace = [0x85, 0xA0, 0x1680, 0x2000, 0x2005, 0x200A, 0x200B, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0x180E, 0xFEFF];
        foreach (int c in whitespace) yield return c;
    }

    public static IEnumerable<object[]> Vocabularies() => [["llama3-bpe"], ["qwen3-bpe"]];

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void ClassesMatchLlamaCppOnSampledCodepoints(string vocabulary)
    {
        var ours = TokenizerFixtures.Load(vocabulary);
        using var theirs = new LlamaCppVocabulary(TokenizerFixtures.GgufPath(vocabulary));
        var mismatches = new List<string>();
        int count = 0;
        foreach (int c in SampledCodepoints().Distinct())
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            string s = char.ConvertFromUtf32(c);
            foreach (string text in new[] { "1" + s + "11", s + "'s", "\t" + s + " a" })
            {
                count++;
                int[] expected = theirs.Tokenize(text, addSpecial: false, parseSpecial: false);
                int[] actual = ours.Encode(text, addSpecial: false);
                if (!expected.AsSpan().SequenceEqual(actual))
                    mismatches.Add($"U+{c:X4} ({System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c)}) in {System.Text.Json.JsonSerializer.Serialize(text)}");
            }
        }
        Assert.True(count > 30_000, $"only {count} probes");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} probes differ:\n" + string.Join("\n", mismatches.Take(10)));
    }
}
