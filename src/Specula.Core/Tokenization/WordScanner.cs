namespace Specula.Tokenization;

/// <summary>
/// Scans one piece [start, end) of a text's code points with one <see cref="SplitRule"/> and appends the lengths of
/// its words (matches and the gaps between them) to the output.
/// </summary>
ref struct WordScanner(ReadOnlySpan<int> cps, ReadOnlySpan<CodepointClass> classes, int start, int end, List<int> output)
{
    readonly ReadOnlySpan<int> _cps = cps;
    readonly ReadOnlySpan<CodepointClass> _classes = classes;
    readonly int _end = end;
    readonly List<int> _output = output;
    int _wordStart = start;
    int _pos = start;

    /// <summary>The class at <paramref name="i"/>, or None past the end of the piece.</summary>
    readonly CodepointClass ClassAt(int i) => i < _end ? _classes[i] : CodepointClass.None;

    readonly int CodepointAt(int i) => i < _end ? _cps[i] : -1;

    /// <summary>Ends the current word at <paramref name="end"/> (empty words are not emitted).</summary>
    void EmitTo(int end)
    {
        if (end > _wordStart) _output.Add(end - _wordStart);
        _wordStart = end;
        _pos = end;
    }

    public void Run(SplitRule rule)
    {
        switch (rule)
        {
            case SplitRule.Gpt2: Gpt2(); break;
            case SplitRule.Llama3: Llama3(maxDigits: 3); break;
            case SplitRule.Qwen2: Llama3(maxDigits: 1); break;
            case SplitRule.Tekken: CaseAwareWords(maxDigits: 1, contractionSuffix: false); break;
            case SplitRule.Gpt4o: CaseAwareWords(maxDigits: 3, contractionSuffix: true); break;
            case SplitRule.EachNumber: Runs(static (c, k) => k == CodepointClass.Number, single: true); break;
            case SplitRule.NumberRuns: Runs(static (c, k) => k == CodepointClass.Number, single: false); break;
            case SplitRule.PunctuationRuns: Runs(static (c, k) => IsDefaultPunctuation(c, k), single: false); break;
            case SplitRule.AsciiDigitTriples: AsciiDigitTriples(); break;
            default: throw new InvalidOperationException($"unknown split rule {rule}");
        }
        EmitTo(_end); // a trailing gap
    }

    static bool IsLetterOrNumberOrSpace(CodepointClass k) =>
        k is CodepointClass.Letter or CodepointClass.Number or CodepointClass.Whitespace;

    static int AsciiLower(int c) => c is >= 'A' and <= 'Z' ? c + 32 : c;

    /// <summary>'s 't 're 've 'm 'll 'd at the current position (ASCII, optionally case-insensitive): its length or 0.</summary>
    readonly int Contraction(bool ignoreCase)
    {
        if (_cps[_pos] != '\'' || _pos + 1 >= _end) return 0;
        int next = ignoreCase ? AsciiLower(_cps[_pos + 1]) : _cps[_pos + 1];
        if (next is 's' or 't' or 'm' or 'd') return 2;
        if (_pos + 2 < _end)
        {
            int after = ignoreCase ? AsciiLower(_cps[_pos + 2]) : _cps[_pos + 2];
            if ((next == 'r' && after == 'e') || (next == 'v' && after == 'e') || (next == 'l' && after == 'l')) return 3;
        }
        return 0;
    }

    void Gpt2()
    {
        while (_pos < _end)
        {
            int c = _cps[_pos];
            int contraction = Contraction(ignoreCase: false);
            if (contraction > 0) { EmitTo(_pos + contraction); continue; }

            // " ?X+" for X = letters, numbers, or neither-space-letter-nor-number.
            var k = c == ' ' ? ClassAt(_pos + 1) : _classes[_pos];
            if (k == CodepointClass.Letter || k == CodepointClass.Number)
            {
                int p = _pos + (c == ' ' ? 1 : 0);
                while (ClassAt(p) == k) p++;
                EmitTo(p);
                continue;
            }
            if (!IsLetterOrNumberOrSpace(k) && k != CodepointClass.None)
            {
                int p = _pos + (c == ' ' ? 1 : 0);
                while (!IsLetterOrNumberOrSpace(ClassAt(p)) && ClassAt(p) != CodepointClass.None) p++;
                EmitTo(p);
                continue;
            }

            int spaces = 0;
            while (ClassAt(_pos + spaces) == CodepointClass.Whitespace) spaces++;
            if (spaces > 1 && _pos + spaces < _end) EmitTo(_pos + spaces - 1); // \s+(?!\S): leave one for the next word
            else if (spaces > 0) EmitTo(_pos + spaces);
            else EmitTo(_pos + 1);
        }
    }

    void Llama3(int maxDigits)
    {
        while (_pos < _end)
        {
            int c = _cps[_pos];
            var k = _classes[_pos];
            int contraction = Contraction(ignoreCase: true);
            if (contraction > 0) { EmitTo(_pos + contraction); continue; }

            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (c != '\r' && c != '\n' && k != CodepointClass.Number &&
                (k == CodepointClass.Letter || ClassAt(_pos + 1) == CodepointClass.Letter))
            {
                int p = _pos + 1;
                while (ClassAt(p) == CodepointClass.Letter) p++;
                EmitTo(p);
                continue;
            }

            // \p{N}{1,maxDigits}
            if (k == CodepointClass.Number)
            {
                int p = _pos, digits = 0;
                while (digits < maxDigits && ClassAt(p) == CodepointClass.Number) { p++; digits++; }
                EmitTo(p);
                continue;
            }

            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var k2 = c == ' ' ? ClassAt(_pos + 1) : k;
            if (!IsLetterOrNumberOrSpace(k2))
            {
                int p = _pos + (c == ' ' ? 1 : 0);
                while (!IsLetterOrNumberOrSpace(ClassAt(p)) && ClassAt(p) != CodepointClass.None) p++;
                while (CodepointAt(p) is '\r' or '\n') p++;
                EmitTo(p);
                continue;
            }

            Whitespace();
        }
    }

    /// <summary>
    /// The Tekken/GPT-4o family. llama.cpp runs it through std::regex over text where every non-ASCII letter is
    /// one placeholder, so "upper" means [A-Z] or any non-ASCII letter and "lower" means [a-z] or any non-ASCII
    /// letter. Words are an optional non-letter/number/newline prefix and then either upper* lower+ (first
    /// alternative, with std::regex's backtracking) or upper+ lower*.
    /// </summary>
    void CaseAwareWords(int maxDigits, bool contractionSuffix)
    {
        while (_pos < _end)
        {
            int word = CaseAwareWordEnd();
            if (word > _pos)
            {
                if (contractionSuffix) word += ContractionAt(word);
                EmitTo(word);
                continue;
            }

            int c = _cps[_pos];
            var k = _classes[_pos];
            if (k == CodepointClass.Number)
            {
                int p = _pos, digits = 0;
                while (digits < maxDigits && ClassAt(p) == CodepointClass.Number) { p++; digits++; }
                EmitTo(p);
                continue;
            }

            //  ?[^\s\p{L}\p{N}]+[\r\n/]*  ('/' cannot follow the run, which would have taken it)
            var k2 = c == ' ' ? ClassAt(_pos + 1) : k;
            if (!IsLetterOrNumberOrSpace(k2))
            {
                int p = _pos + (c == ' ' ? 1 : 0);
                while (!IsLetterOrNumberOrSpace(ClassAt(p)) && ClassAt(p) != CodepointClass.None) p++;
                while (CodepointAt(p) is '\r' or '\n' or '/') p++;
                EmitTo(p);
                continue;
            }
            Whitespace();
        }
    }

    readonly bool IsUpperish(int i) => ClassAt(i) == CodepointClass.Letter && _cps[i] is not (>= 'a' and <= 'z');
    readonly bool IsLowerish(int i) => ClassAt(i) == CodepointClass.Letter && _cps[i] is not (>= 'A' and <= 'Z');

    /// <summary>The end of the case-aware word at the current position, or the position itself when none starts here.</summary>
    readonly int CaseAwareWordEnd()
    {
        int c = _cps[_pos];
        var k = _classes[_pos];
        // [^\r\n\p{L}\p{N}]? — when the prefix is not taken nothing can match, as the next character is not a letter.
        bool prefix = c != '\r' && c != '\n' && k != CodepointClass.Letter && k != CodepointClass.Number;
        int start = _pos + (prefix ? 1 : 0);
        int runEnd = start;
        while (IsUpperish(runEnd)) runEnd++;

        // upper* lower+: after the longest upper run, a lower run; else give back upper characters until one that
        // is also lower (a non-ASCII letter) can end the word.
        if (IsLowerish(runEnd))
        {
            int end = runEnd;
            while (IsLowerish(end)) end++;
            return end;
        }
        for (int k2 = runEnd - 1; k2 >= start; k2--)
            if (IsLowerish(k2)) return k2 + 1;

        // upper+ lower*: the lower run is empty here (the character after the upper run is not lower).
        return runEnd > start ? runEnd : _pos;
    }

    /// <summary>Length of 's 't 're 've 'm 'll 'd (either case) at <paramref name="at"/>, or 0.</summary>
    readonly int ContractionAt(int at)
    {
        if (CodepointAt(at) != '\'' || at + 1 >= _end) return 0;
        int next = AsciiLower(_cps[at + 1]);
        if (next is 's' or 't' or 'm' or 'd') return 2;
        if (at + 2 < _end)
        {
            int after = AsciiLower(_cps[at + 2]);
            if ((next == 'r' && after == 'e') || (next == 'v' && after == 'e') || (next == 'l' && after == 'l')) return 3;
        }
        return 0;
    }

    /// <summary><c>\s*[\r\n]+|\s+(?!\S)|\s+</c> at the current position (or one character when nothing matches).</summary>
    void Whitespace()
    {
        int spaces = 0, lastNewlineEnd = -1;
        while (ClassAt(_pos + spaces) == CodepointClass.Whitespace)
        {
            if (_cps[_pos + spaces] is '\r' or '\n') lastNewlineEnd = _pos + spaces + 1;
            spaces++;
        }
        if (lastNewlineEnd >= 0) EmitTo(lastNewlineEnd);
        else if (spaces > 1 && _pos + spaces < _end) EmitTo(_pos + spaces - 1);
        else if (spaces > 0) EmitTo(_pos + spaces);
        else EmitTo(_pos + 1);
    }

    /// <summary>Matches of a one-class expression (runs, or single characters) with the gaps between them as words.</summary>
    void Runs(Func<int, CodepointClass, bool> matches, bool single)
    {
        while (_pos < _end)
        {
            if (!matches(_cps[_pos], _classes[_pos])) { _pos++; continue; }
            EmitTo(_pos); // the gap before the match
            int p = _pos + 1;
            if (!single) while (p < _end && matches(_cps[p], _classes[p])) p++;
            EmitTo(p);
        }
    }

    void AsciiDigitTriples()
    {
        while (_pos + 3 <= _end)
        {
            if (IsAsciiDigit(_cps[_pos]) && IsAsciiDigit(_cps[_pos + 1]) && IsAsciiDigit(_cps[_pos + 2]))
            {
                EmitTo(_pos);
                EmitTo(_pos + 3);
            }
            else _pos++;
        }
    }

    static bool IsAsciiDigit(int c) => c is >= '0' and <= '9';

    /// <summary>The default pre-tokenizer's punctuation class: \p{P} plus $ + &lt; = &gt; ^ ~ |. For ASCII that is
    /// every punctuation or symbol character except '`' (llama.cpp spells \p{P} out as an ASCII list there).</summary>
    static bool IsDefaultPunctuation(int c, CodepointClass k) =>
        c < 128 ? (k is CodepointClass.Punctuation or CodepointClass.Symbol) && c != '`' : k == CodepointClass.Punctuation;
}
