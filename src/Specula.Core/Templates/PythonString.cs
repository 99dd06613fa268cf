using System.Text;

namespace Specula.Templates;

/// <summary>Python's str operations where they differ from .NET's: lengths, indices and slices count code
/// points (not UTF-16 units), whitespace is Python's <c>str.isspace</c>, and <c>split()</c>/<c>strip()</c>/
/// <c>title()</c> follow Python.</summary>
static class PythonString
{
    /// <summary>Python's <c>str.isspace</c> for one UTF-16 unit (.NET's definition lacks U+001C..U+001F).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');

    static bool HasSurrogates(string text) => text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    /// <summary>The characters of the text as Python sees them: one string per code point (a lone surrogate
    /// stays one unit).</summary>
    public static string[] CodePoints(string text)
    {
        if (!HasSurrogates(text))
        {
            var single = new string[text.Length];
            for (int i = 0; i < text.Length; i++) single[i] = text[i].ToString();
            return single;
        }
        var result = new List<string>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Add(text.Substring(i, 2));
                i++;
            }
            else result.Add(text[i].ToString());
        }
        return result.ToArray();
    }

    public static int Length(string text)
    {
        if (!HasSurrogates(text)) return text.Length;
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            count++;
        }
        return count;
    }

    /// <summary><c>text[index]</c> with Python's negative indices, or null when out of range.</summary>
    public static string? CodePointAt(string text, long index)
    {
        if (!HasSurrogates(text))
        {
            if (index < 0) index += text.Length;
            return (ulong)index < (ulong)text.Length ? text[(int)index].ToString() : null;
        }
        var points = CodePoints(text);
        if (index < 0) index += points.Length;
        return (ulong)index < (ulong)points.Length ? points[index] : null;
    }

    /// <summary>Python's <c>text[start:stop:step]</c>.</summary>
    public static string Slice(string text, long? start, long? stop, long? step)
    {
        if (!HasSurrogates(text) && (step ?? 1) == 1)
        {
            var (from, count) = Slicing.Range(text.Length, start, stop);
            return text.Substring(from, count);
        }
        var points = CodePoints(text);
        var builder = new StringBuilder(text.Length);
        foreach (int index in Slicing.Indices(points.Length, start, stop, step)) builder.Append(points[index]);
        return builder.ToString();
    }

    public static string Reverse(string text)
    {
        var points = CodePoints(text);
        Array.Reverse(points);
        return string.Concat(points);
    }

    /// <summary>Orders strings by code point, as Python does (ordinal UTF-16 order puts U+E000..U+FFFF
    /// after supplementary characters).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        int n = Math.Min(a.Length, b.Length);
        for (int i = 0; i < n; i++)
        {
            char x = a[i], y = b[i];
            if (x == y) continue;
            if (x >= 0xD800 && y >= 0xD800) return Fixup(x).CompareTo(Fixup(y));
            return x.CompareTo(y);
        }
        return a.Length.CompareTo(b.Length);

        static int Fixup(char c) => c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }

    public static string Strip(string text, string? characters, bool left, bool right)
    {
        int start = 0, end = text.Length;
        if (characters == null)
        {
            if (left) while (start < end && IsSpace(text[start])) start++;
            if (right) while (end > start && IsSpace(text[end - 1])) end--;
        }
        else
        {
            if (left) while (start < end && characters.Contains(text[start])) start++;
            if (right) while (end > start && characters.Contains(text[end - 1])) end--;
        }
        return text.Substring(start, end - start);
    }

    /// <summary>Python's <c>str.split(sep, maxsplit)</c>; without a separator it splits on runs of
    /// whitespace and drops empty pieces.</summary>
    public static List<string> Split(string text, string? separator, long maxSplit)
    {
        var pieces = new List<string>();
        if (separator == null)
        {
            int i = 0;
            while (true)
            {
                while (i < text.Length && IsSpace(text[i])) i++;
                if (i == text.Length) break;
                if (maxSplit >= 0 && pieces.Count == maxSplit)
                {
                    pieces.Add(text[i..]);
                    break;
                }
                int start = i;
                while (i < text.Length && !IsSpace(text[i])) i++;
                pieces.Add(text[start..i]);
            }
            return pieces;
        }
        if (separator.Length == 0) throw new TemplateException("empty separator");
        int from = 0;
        while (maxSplit < 0 || pieces.Count < maxSplit)
        {
            int at = text.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0) break;
            pieces.Add(text[from..at]);
            from = at + separator.Length;
        }
        pieces.Add(text[from..]);
        return pieces;
    }

    /// <summary>Python's <c>str.rsplit(sep, maxsplit)</c>.</summary>
    public static List<string> RightSplit(string text, string? separator, long maxSplit)
    {
        if (maxSplit < 0) return Split(text, separator, maxSplit);
        var pieces = new List<string>();
        if (separator == null)
        {
            int i = text.Length;
            while (true)
            {
                while (i > 0 && IsSpace(text[i - 1])) i--;
                if (i == 0) break;
                if (pieces.Count == maxSplit)
                {
                    pieces.Add(text[..i]);
                    break;
                }
                int end = i;
                while (i > 0 && !IsSpace(text[i - 1])) i--;
                pieces.Add(text[i..end]);
            }
        }
        else
        {
            if (separator.Length == 0) throw new TemplateException("empty separator");
            int end = text.Length;
            while (pieces.Count < maxSplit)
            {
                int at = end == 0 ? -1 : text.LastIndexOf(separator, end - 1, end, StringComparison.Ordinal);
                if (at < 0 || at + separator.Length > end) break;
                pieces.Add(text[(at + separator.Length)..end]);
                end = at;
            }
            pieces.Add(text[..end]);
        }
        pieces.Reverse();
        return pieces;
    }

    /// <summary>Python's <c>str.splitlines()</c> (without keepends).</summary>
    public static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(text[start..i]);
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                start = i;
            }
            else i++;
        }
        if (start < text.Length) lines.Add(text[start..]);
        return lines;
    }

    /// <summary>Python's <c>str.title()</c>: a letter after a non-letter starts a word (upper-cased), other
    /// letters are lower-cased.</summary>
    public static string Title(string text)
    {
        var result = new StringBuilder(text.Length);
        bool previousIsCased = false;
        foreach (var rune in text.EnumerateRunes())
        {
            bool cased = Rune.IsLetter(rune) && (Rune.IsUpper(rune) || Rune.IsLower(rune) || Rune.GetUnicodeCategory(rune) == System.Globalization.UnicodeCategory.TitlecaseLetter);
            var mapped = cased ? (previousIsCased ? Rune.ToLowerInvariant(rune) : Rune.ToUpperInvariant(rune)) : rune;
            result.Append(mapped.ToString());
            previousIsCased = cased;
        }
        return result.ToString();
    }

    /// <summary>Python's <c>str.capitalize()</c>: first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string text)
    {
        if (text.Length == 0) return text;
        var first = Rune.GetRuneAt(text, 0);
        return Rune.ToUpperInvariant(first).ToString() + text[first.Utf16SequenceLength..].ToLowerInvariant();
    }

    /// <summary>Python's <c>str.center(width, fill)</c>, which puts the odd extra character on the left only
    /// when the width is odd.</summary>
    public static string Center(string text, long width, string fill = " ")
    {
        long length = Length(text);
        if (width <= length) return text;
        if (width > 1_000_000) throw new TemplateException("center width is too large");
        long padding = width - length;
        long left = padding / 2 + (padding & width & 1);
        var builder = new StringBuilder();
        for (long i = 0; i < left; i++) builder.Append(fill);
        builder.Append(text);
        for (long i = 0; i < padding - left; i++) builder.Append(fill);
        return builder.ToString();
    }

    /// <summary>Python's <c>str.count(sub)</c>: non-overlapping occurrences; the empty string occurs
    /// length + 1 times.</summary>
    public static int Count(string text, string part)
    {
        if (part.Length == 0) return Length(text) + 1;
        int count = 0, from = 0;
        while ((from = text.IndexOf(part, from, StringComparison.Ordinal)) >= 0)
        {
            count++;
            from += part.Length;
        }
        return count;
    }

    /// <summary>Python's <c>str.replace(old, new, count)</c>; an empty <paramref name="old"/> inserts
    /// <paramref name="replacement"/> around every character.</summary>
    public static string Replace(string text, string old, string replacement, long count)
    {
        if (count == 0) return text;
        if (old.Length == 0)
        {
            var points = CodePoints(text);
            var builder = new StringBuilder();
            long done = 0;
            for (int i = 0; i <= points.Length; i++)
            {
                if (count < 0 || done < count)
                {
                    builder.Append(replacement);
                    done++;
                }
                if (i < points.Length) builder.Append(points[i]);
            }
            return builder.ToString();
        }
        if (count < 0) return text.Replace(old, replacement, StringComparison.Ordinal);
        var result = new StringBuilder(text.Length);
        int from = 0;
        for (long n = 0; n < count; n++)
        {
            int at = text.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0) break;
            result.Append(text, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return result.Append(text, from, text.Length - from).ToString();
    }
}
