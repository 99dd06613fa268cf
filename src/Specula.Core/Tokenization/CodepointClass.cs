using System.Globalization;

namespace Specula.Tokenization;

/// <summary>
/// The coarse Unicode classes that llama.cpp's pre-tokenizers look at (<c>\p{L}</c>, <c>\p{N}</c>, <c>\s</c>, ...).
/// <see cref="None"/> stands for "past the end of the text" so that lookahead at the boundary fails every class test,
/// as llama.cpp's zero flags do.
/// </summary>
enum CodepointClass : byte
{
    None = 0,
    Letter,
    Number,
    Whitespace,
    Mark,
    Punctuation,
    Symbol,
    /// <summary>Controls, format characters, private use, unassigned code points.</summary>
    Other,
}

/// <summary>
/// Classifies code points the way llama.cpp's unicode tables do. Whitespace is the Unicode White_Space property
/// (what Python's <c>regex</c> module calls <c>\s</c>), which wins over the general category; the rest follows the
/// general category (Letter = L*, Number = N*, Mark = M*, Punctuation = P*, Symbol = S*, everything else Other).
/// </summary>
static class CodepointClassifier
{
    static readonly CodepointClass[] Ascii = BuildAscii();

    public static CodepointClass Classify(int codepoint)
    {
        if ((uint)codepoint < 128) return Ascii[codepoint];
        if (IsNonAsciiWhitespace(codepoint)) return CodepointClass.Whitespace;
        if (codepoint > 0x10FFFF) return CodepointClass.Other;
        return FromCategory(CharUnicodeInfo.GetUnicodeCategory(codepoint));
    }

    /// <summary>The White_Space code points above ASCII (ASCII ones are 0x09-0x0D and 0x20; 0x1C-0x1F are not).</summary>
    static bool IsNonAsciiWhitespace(int c) =>
        c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
        c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;

    static CodepointClass FromCategory(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointClass.Letter,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointClass.Number,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointClass.Mark,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation => CodepointClass.Punctuation,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol
            or UnicodeCategory.OtherSymbol => CodepointClass.Symbol,
        // Space separators that are not White_Space do not exist; line/paragraph separators are handled above.
        _ => CodepointClass.Other,
    };

    static CodepointClass[] BuildAscii()
    {
        var table = new CodepointClass[128];
        for (int c = 0; c < 128; c++)
        {
            table[c] = c is (>= 0x09 and <= 0x0D) or 0x20
                ? CodepointClass.Whitespace
                : FromCategory(CharUnicodeInfo.GetUnicodeCategory(c));
        }
        return table;
    }
}
