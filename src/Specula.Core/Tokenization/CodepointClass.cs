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
        var result = FromCategory(CharUnicodeInfo.GetUnicodeCategory(codepoint));
        if (result is CodepointClass.Letter or CodepointClass.Number && IsNewInUnicode16(codepoint)) return CodepointClass.Other;
        return result;
    }

    /// <summary>
    /// llama.cpp's tables are Unicode 15.1 and .NET 10 knows Unicode 16.0, so the letters and digits Unicode 16.0
    /// added (Garay, Gurung Khema, Kirat Rai, Ol Onal, Sunuwar, Todhri, Tulu-Tigalari, Egyptian hieroglyphs
    /// extended-A, outlined digits, ...) are unassigned to llama.cpp. They are listed here as inclusive ranges,
    /// found by comparing every code point's tokenization with llama.cpp's. Other 16.0 additions (symbols, marks,
    /// punctuation) split the same way as unassigned code points under every supported rule.
    /// </summary>
    static readonly (int First, int Last)[] Unicode16LettersAndDigits =
    [
        (0x1C89, 0x1C8A), (0xA7CB, 0xA7CD), (0xA7DA, 0xA7DC), (0x105C0, 0x105F3), (0x10D40, 0x10D65),
        (0x10D6F, 0x10D85), (0x10EC2, 0x10EC4), (0x11380, 0x11389), (0x1138B, 0x1138B), (0x1138E, 0x1138E),
        (0x11390, 0x113B5), (0x113B7, 0x113B7), (0x113D1, 0x113D1), (0x113D3, 0x113D3), (0x116D0, 0x116E3),
        (0x11BC0, 0x11BE0), (0x11BF0, 0x11BF9), (0x13460, 0x143FA), (0x16100, 0x1611D), (0x16130, 0x16139),
        (0x16D40, 0x16D6C), (0x16D70, 0x16D79), (0x18CFF, 0x18CFF), (0x1CCF0, 0x1CCF9), (0x1E5D0, 0x1E5ED),
        (0x1E5F0, 0x1E5FA),
    ];

    static bool IsNewInUnicode16(int codepoint)
    {
        int low = 0, high = Unicode16LettersAndDigits.Length - 1;
        while (low <= high)
        {
            int mid = (low + high) >> 1;
            var (first, last) = Unicode16LettersAndDigits[mid];
            if (codepoint < first) high = mid - 1;
            else if (codepoint > last) low = mid + 1;
            else return true;
        }
        return false;
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
