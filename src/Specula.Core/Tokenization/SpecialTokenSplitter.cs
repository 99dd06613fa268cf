namespace Specula.Tokenization;

/// <summary>A piece of the input: either raw text (a byte range of the UTF-8 input) or an already-decided token.</summary>
readonly record struct TextFragment(int TokenId, int Start, int Length)
{
    public bool IsToken => TokenId >= 0;
    public static TextFragment Text(int start, int length) => new(-1, start, length);
    public static TextFragment Token(int id) => new(id, 0, 0);
}

/// <summary>
/// Cuts special tokens out of the input before the model tokenizer sees it, as llama.cpp's
/// <c>tokenizer_st_partition</c> does: special tokens are taken longest first, and each one splits every remaining
/// text fragment at all its occurrences, left to right. USER_DEFINED tokens are always matched; CONTROL and UNKNOWN
/// tokens only when the caller asks to parse special tokens. A token marked <see cref="TokenAttributes.LeftStrip"/> or
/// <see cref="TokenAttributes.RightStrip"/> swallows the ASCII whitespace next to it.
/// </summary>
sealed class SpecialTokenSplitter
{
    readonly int[] _ids;
    readonly byte[][] _texts;
    readonly TokenAttributes[] _attributes;

    public SpecialTokenSplitter(TokenVocabulary vocabulary)
    {
        _ids = vocabulary.SpecialTokensLongestFirst;
        _texts = new byte[_ids.Length][];
        _attributes = new TokenAttributes[_ids.Length];
        for (int i = 0; i < _ids.Length; i++)
        {
            _texts[i] = vocabulary.TextBytes(_ids[i]).ToArray();
            _attributes[i] = vocabulary.Attributes[_ids[i]];
        }
    }

    /// <summary>Fills <paramref name="fragments"/> with the fragments of <paramref name="text"/> in order.</summary>
    public void Split(ReadOnlySpan<byte> text, bool parseSpecial, List<TextFragment> fragments)
    {
        fragments.Clear();
        if (text.IsEmpty) return;
        var current = fragments;
        current.Add(TextFragment.Text(0, text.Length));
        List<TextFragment>? next = null;

        for (int s = 0; s < _ids.Length; s++)
        {
            var attributes = _attributes[s];
            if (!parseSpecial && (attributes & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0) continue;
            ReadOnlySpan<byte> special = _texts[s];
            if (!AnyTextFragmentContains(text, current, special)) continue;

            next ??= new List<TextFragment>(current.Count + 4);
            next.Clear();
            foreach (var fragment in current)
            {
                if (fragment.IsToken) next.Add(fragment);
                else SplitFragment(text, fragment.Start, fragment.Length, _ids[s], special, attributes, next);
            }
            (current, next) = (next, current);
        }

        if (!ReferenceEquals(current, fragments))
        {
            fragments.Clear();
            fragments.AddRange(current);
        }
    }

    static bool AnyTextFragmentContains(ReadOnlySpan<byte> text, List<TextFragment> fragments, ReadOnlySpan<byte> special)
    {
        foreach (var fragment in fragments)
            if (!fragment.IsToken && text.Slice(fragment.Start, fragment.Length).IndexOf(special) >= 0) return true;
        return false;
    }

    static void SplitFragment(ReadOnlySpan<byte> text, int start, int length, int id, ReadOnlySpan<byte> special,
                              TokenAttributes attributes, List<TextFragment> output)
    {
        while (length > 0)
        {
            int match = text.Slice(start, length).IndexOf(special);
            if (match < 0)
            {
                output.Add(TextFragment.Text(start, length));
                return;
            }
            int leftLength = match;
            if ((attributes & TokenAttributes.LeftStrip) != 0)
                while (leftLength > 0 && IsAsciiSpace(text[start + leftLength - 1])) leftLength--;
            if (leftLength > 0) output.Add(TextFragment.Text(start, leftLength));
            output.Add(TextFragment.Token(id));

            int rightStart = start + match + special.Length;
            int rightLength = length - match - special.Length;
            if ((attributes & TokenAttributes.RightStrip) != 0)
                while (rightLength > 0 && IsAsciiSpace(text[rightStart])) { rightStart++; rightLength--; }
            start = rightStart;
            length = rightLength;
        }
    }

    /// <summary>C's <c>isspace</c> in the "C" locale, which llama.cpp uses for the strip attributes.</summary>
    static bool IsAsciiSpace(byte b) => b == ' ' || (b >= 0x09 && b <= 0x0D);
}
