using System.Globalization;
using System.Text;

namespace Specula.Templates;

/// <summary>Splits a template into text and tag tokens the way Jinja's lexer does with transformers'
/// settings: newlines normalised to \n and one trailing newline dropped (keep_trailing_newline=False);
/// <c>trim_blocks</c> (the newline after <c>%}</c> or <c>#}</c> is removed); <c>lstrip_blocks</c> (spaces
/// and tabs before <c>{%</c> or <c>{#</c> at the start of a line are removed); <c>-</c> strips all
/// whitespace on that side of a tag and <c>+</c> turns lstrip off; comments are dropped and
/// <c>{% raw %}</c> blocks become text.</summary>
sealed class TemplateLexer
{
    static readonly string[] OperatorSymbols =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "<", ">", "=", ".", ":", "|", ",", ";"];

    readonly string source;
    readonly List<Token> tokens = [];
    readonly int[] lineStarts;
    int position;

    /// <summary>Whether the text about to be read starts a line (template start, or the previous tag's
    /// end consumed a newline): lstrip_blocks applies to a tag on such a first line too.</summary>
    bool lineStarting = true;

    TemplateLexer(string source)
    {
        this.source = source;
        var starts = new List<int> { 0 };
        for (int i = 0; i < source.Length; i++)
            if (source[i] == '\n') starts.Add(i + 1);
        lineStarts = starts.ToArray();
    }

    public static List<Token> Tokenize(string template)
    {
        var lexer = new TemplateLexer(Normalize(template));
        lexer.Run();
        return lexer.tokens;
    }

    /// <summary>\r\n and \r become \n; one trailing newline is removed, as Jinja does by default.</summary>
    static string Normalize(string template)
    {
        if (template.Contains('\r')) template = template.Replace("\r\n", "\n").Replace('\r', '\n');
        return template.EndsWith('\n') ? template[..^1] : template;
    }

    int LineAt(int offset)
    {
        int index = Array.BinarySearch(lineStarts, offset);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    TemplateException Error(string message, int offset) => new(TemplateErrorKind.Syntax, message, LineAt(offset));

    void Run()
    {
        while (position < source.Length)
        {
            int tagStart = FindTagStart(position);
            if (tagStart < 0)
            {
                AddText(source[position..], position);
                break;
            }
            char kind = source[tagStart + 1];
            int afterOpen = tagStart + 2;
            char sign = afterOpen < source.Length && source[afterOpen] is '-' or '+' ? source[afterOpen] : '\0';
            if (sign != '\0') afterOpen++;

            var text = source[position..tagStart];
            text = ControlLeadingWhitespace(text, sign, appliesToTag: kind != '{');
            AddText(text, position);

            if (kind == '#') LexComment(tagStart, afterOpen);
            else if (kind == '%' && TryMatchRawBegin(afterOpen, out int rawBodyStart)) LexRaw(rawBodyStart);
            else LexTag(kind == '{' ? TokenKind.VariableBegin : TokenKind.BlockBegin, tagStart, afterOpen);
        }
        tokens.Add(new Token(TokenKind.EndOfTemplate, "", LineAt(source.Length)));
    }

    int FindTagStart(int from)
    {
        while (true)
        {
            int brace = source.IndexOf('{', from);
            if (brace < 0 || brace + 1 >= source.Length) return -1;
            if (source[brace + 1] is '{' or '%' or '#') return brace;
            from = brace + 1;
        }
    }

    void AddText(string text, int offset)
    {
        if (text.Length > 0) tokens.Add(new Token(TokenKind.Text, text, LineAt(offset)));
    }

    /// <summary>Whitespace control on the text before a tag: <c>-</c> strips all trailing whitespace;
    /// otherwise lstrip_blocks removes the spaces between the line start and a block or comment tag.</summary>
    string ControlLeadingWhitespace(string text, char sign, bool appliesToTag)
    {
        if (sign == '-') return PythonString.Strip(text, null, left: false, right: true);
        if (sign == '+' || !appliesToTag) return text;
        int lineStart = text.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !lineStarting) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (!PythonString.IsSpace(text[i])) return text;
        return text[..lineStart];
    }

    /// <summary>Consumes a tag's closing whitespace control: <c>-</c> eats all following whitespace, a plain
    /// <c>%}</c>/<c>#}</c> eats one newline (trim_blocks), <c>+</c> eats nothing.</summary>
    void FinishTag(int afterClose, char sign, bool trimNewline)
    {
        position = afterClose;
        if (sign == '-')
            while (position < source.Length && PythonString.IsSpace(source[position])) position++;
        else if (sign != '+' && trimNewline && position < source.Length && source[position] == '\n')
            position++;
        lineStarting = position > afterClose && source[position - 1] == '\n';
    }

    void LexComment(int tagStart, int bodyStart)
    {
        int close = source.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (close < 0) throw Error("missing end of comment tag", tagStart);
        char sign = close > bodyStart && source[close - 1] is '-' or '+' ? source[close - 1] : '\0';
        FinishTag(close + 2, sign, trimNewline: true);
    }

    /// <summary>Matches <c>\s*raw\s*(-%}|%})</c> after a <c>{%</c>.</summary>
    bool TryMatchRawBegin(int from, out int bodyStart)
    {
        bodyStart = 0;
        int i = SkipSpaces(from);
        if (string.CompareOrdinal(source, i, "raw", 0, 3) != 0) return false;
        i = SkipSpaces(i + 3);
        if (string.CompareOrdinal(source, i, "-%}", 0, 3) == 0)
        {
            bodyStart = SkipSpaces(i + 3);
            return true;
        }
        if (string.CompareOrdinal(source, i, "%}", 0, 2) == 0)
        {
            bodyStart = i + 2;
            return true;
        }
        return false;
    }

    int SkipSpaces(int i)
    {
        while (i < source.Length && PythonString.IsSpace(source[i])) i++;
        return i;
    }

    void LexRaw(int bodyStart)
    {
        lineStarting = bodyStart > 0 && source[bodyStart - 1] == '\n';
        int search = bodyStart;
        while (true)
        {
            int open = source.IndexOf("{%", search, StringComparison.Ordinal);
            if (open < 0) throw Error("missing end of raw directive", bodyStart);
            int i = open + 2;
            char sign = i < source.Length && source[i] is '-' or '+' ? source[i++] : '\0';
            i = SkipSpaces(i);
            if (string.CompareOrdinal(source, i, "endraw", 0, 6) == 0)
            {
                i = SkipSpaces(i + 6);
                char closeSign = i < source.Length && source[i] is '-' or '+' ? source[i] : '\0';
                int close = closeSign != '\0' ? i + 1 : i;
                if (string.CompareOrdinal(source, close, "%}", 0, 2) == 0)
                {
                    AddText(ControlLeadingWhitespace(source[bodyStart..open], sign, appliesToTag: true), bodyStart);
                    FinishTag(close + 2, closeSign, trimNewline: true);
                    return;
                }
            }
            search = open + 2;
        }
    }

    void LexTag(TokenKind begin, int tagStart, int contentStart)
    {
        bool isBlock = begin == TokenKind.BlockBegin;
        tokens.Add(new Token(begin, isBlock ? "{%" : "{{", LineAt(tagStart)));
        var brackets = new Stack<char>();
        int i = contentStart;
        while (true)
        {
            i = SkipSpaces(i);
            if (i >= source.Length)
                throw Error($"unexpected end of template: the tag opened here was never closed with '{(isBlock ? "%}" : "}}")}'", tagStart);
            if (brackets.Count == 0 && TryCloseTag(isBlock, i)) return;

            char c = source[i];
            int line = LineAt(i);
            if (char.IsLetter(c) || c == '_')
            {
                int start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_')) i++;
                tokens.Add(new Token(TokenKind.Name, source[start..i], line));
            }
            else if (c is '\'' or '"') i = LexString(i, line);
            else if (char.IsAsciiDigit(c)) i = LexNumber(i, line);
            else
            {
                var op = MatchOperator(i) ?? throw Error($"unexpected character '{c}' in tag", i);
                if (op is "(" or "[" or "{") brackets.Push(op[0]);
                else if (op is ")" or "]" or "}")
                {
                    char expected = op == ")" ? '(' : op == "]" ? '[' : '{';
                    if (brackets.Count == 0 || brackets.Pop() != expected) throw Error($"unexpected '{op}'", i);
                }
                tokens.Add(new Token(TokenKind.Operator, op, line));
                i += op.Length;
            }
        }
    }

    bool TryCloseTag(bool isBlock, int i)
    {
        string close = isBlock ? "%}" : "}}";
        char sign = source[i] is '-' or '+' ? source[i] : '\0';
        // '+' only marks block ends; "+}}" is a plus operator followed by the end.
        if (sign == '+' && !isBlock) sign = '\0';
        int at = sign != '\0' ? i + 1 : i;
        if (string.CompareOrdinal(source, at, close, 0, 2) != 0) return false;
        tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, close, LineAt(i)));
        FinishTag(at + 2, sign, trimNewline: isBlock);
        return true;
    }

    string? MatchOperator(int i)
    {
        foreach (var op in OperatorSymbols)
            if (string.CompareOrdinal(source, i, op, 0, op.Length) == 0) return op;
        return null;
    }

    int LexString(int start, int line)
    {
        char quote = source[start];
        var value = new StringBuilder();
        int i = start + 1;
        while (true)
        {
            if (i >= source.Length) throw Error("unterminated string literal", start);
            char c = source[i];
            if (c == quote) break;
            if (c != '\\')
            {
                value.Append(c);
                i++;
                continue;
            }
            if (i + 1 >= source.Length) throw Error("unterminated string literal", start);
            i = DecodeEscape(i + 1, value, start);
        }
        tokens.Add(new Token(TokenKind.String, value.ToString(), line, StringValue.Of(value.ToString())));
        return i + 1;
    }

    /// <summary>Python's string escapes (Jinja decodes literals with "unicode-escape"); an unknown escape
    /// keeps its backslash.</summary>
    int DecodeEscape(int i, StringBuilder value, int literalStart)
    {
        char e = source[i];
        switch (e)
        {
            case 'n': value.Append('\n'); return i + 1;
            case 't': value.Append('\t'); return i + 1;
            case 'r': value.Append('\r'); return i + 1;
            case '\\': value.Append('\\'); return i + 1;
            case '\'': value.Append('\''); return i + 1;
            case '"': value.Append('"'); return i + 1;
            case 'a': value.Append('\a'); return i + 1;
            case 'b': value.Append('\b'); return i + 1;
            case 'f': value.Append('\f'); return i + 1;
            case 'v': value.Append('\v'); return i + 1;
            case '\n': return i + 1;
            case 'x': return AppendCodePoint(i + 1, 2, value, literalStart);
            case 'u': return AppendCodePoint(i + 1, 4, value, literalStart);
            case 'U': return AppendCodePoint(i + 1, 8, value, literalStart);
        }
        if (e is >= '0' and <= '7')
        {
            int code = 0, digits = 0;
            while (digits < 3 && i < source.Length && source[i] is >= '0' and <= '7')
            {
                code = code * 8 + (source[i++] - '0');
                digits++;
            }
            value.Append((char)code);
            return i;
        }
        value.Append('\\');
        return i;
    }

    int AppendCodePoint(int i, int digits, StringBuilder value, int literalStart)
    {
        if (i + digits > source.Length
            || !int.TryParse(source.AsSpan(i, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || code > 0x10FFFF)
            throw Error("invalid \\x, \\u or \\U escape in string literal", literalStart);
        if (code >= 0x10000) value.Append(char.ConvertFromUtf32(code));
        else value.Append((char)code);
        return i + digits;
    }

    int LexNumber(int start, int line)
    {
        int i = start;
        if (source[i] == '0' && i + 1 < source.Length && source[i + 1] is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')
        {
            int radix = source[i + 1] is 'x' or 'X' ? 16 : source[i + 1] is 'o' or 'O' ? 8 : 2;
            i += 2;
            int digitsStart = i;
            while (i < source.Length && (Uri.IsHexDigit(source[i]) || source[i] == '_')) i++;
            var digits = source[digitsStart..i].Replace("_", "");
            long value = 0;
            try
            {
                foreach (char d in digits)
                {
                    int digit = Convert.ToInt32(d.ToString(), 16);
                    if (digit >= radix) throw Error($"invalid digit '{d}' in number literal", start);
                    value = checked(value * radix + digit);
                }
            }
            catch (OverflowException) { throw Error("integer literal is too large", start); }
            if (digits.Length == 0) throw Error("invalid number literal", start);
            tokens.Add(new Token(TokenKind.Integer, source[start..i], line, IntegerValue.Of(value)));
            return i;
        }
        i = SkipDigits(i);
        bool isFloat = false;
        // "a.0.1" is attribute access: a float may not follow a dot (Jinja's (?<!\.)).
        bool afterDot = start > 0 && source[start - 1] == '.';
        if (!afterDot && i + 1 < source.Length && source[i] == '.' && char.IsAsciiDigit(source[i + 1]))
        {
            i = SkipDigits(i + 1);
            isFloat = true;
        }
        if (!afterDot && i < source.Length && source[i] is 'e' or 'E')
        {
            int j = i + 1;
            if (j < source.Length && source[j] is '+' or '-') j++;
            if (j < source.Length && char.IsAsciiDigit(source[j]))
            {
                i = SkipDigits(j);
                isFloat = true;
            }
        }
        var text = source[start..i];
        var clean = text.Replace("_", "");
        if (isFloat)
        {
            tokens.Add(new Token(TokenKind.Float, text, line,
                new FloatValue(double.Parse(clean, NumberStyles.Float, CultureInfo.InvariantCulture))));
        }
        else
        {
            if (!long.TryParse(clean, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                throw Error("integer literal is too large", start);
            tokens.Add(new Token(TokenKind.Integer, text, line, IntegerValue.Of(value)));
        }
        return i;
    }

    int SkipDigits(int i)
    {
        while (i < source.Length && (char.IsAsciiDigit(source[i]) || (source[i] == '_' && i + 1 < source.Length && char.IsAsciiDigit(source[i + 1]))))
            i++;
        return i;
    }
}
