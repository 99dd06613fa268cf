using System.Globalization;

namespace Specula.Templates;

/// <summary>Python's <c>int(text, base)</c> and <c>float(text)</c> on strings, which the <c>int</c> and
/// <c>float</c> filters use: surrounding whitespace, a sign, and underscores between digits are allowed.</summary>
static class PythonConversions
{
    public static bool TryParseInt(string text, int radix, out long value)
    {
        value = 0;
        var s = PythonString.Strip(text, null, true, true);
        bool negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.Length > 1 && s[0] == '0' && (radix == 0 || radix == 16 || radix == 8 || radix == 2))
        {
            int prefixRadix = char.ToLowerInvariant(s[1]) switch { 'x' => 16, 'o' => 8, 'b' => 2, _ => 0 };
            if (prefixRadix != 0 && (radix == 0 || radix == prefixRadix))
            {
                radix = prefixRadix;
                s = s[2..];
                if (s.StartsWith('_')) s = s[1..];
            }
        }
        if (radix == 0) radix = 10;
        if (radix is < 2 or > 36 || s.Length == 0 || s[0] == '_' || s[^1] == '_' || s.Contains("__")) return false;
        try
        {
            foreach (char c in s)
            {
                if (c == '_') continue;
                int digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
                if (digit >= radix) return false;
                value = checked(value * radix + digit);
            }
        }
        catch (OverflowException)
        {
            return false;
        }
        if (negative) value = -value;
        return true;
    }

    public static bool TryParseFloat(string text, out double value)
    {
        var s = PythonString.Strip(text, null, true, true).ToLowerInvariant();
        string unsigned = s.TrimStart('+', '-');
        if (unsigned.Length == s.Length - 1 || unsigned.Length == s.Length)
        {
            bool negative = s.StartsWith('-');
            if (unsigned is "inf" or "infinity") { value = negative ? double.NegativeInfinity : double.PositiveInfinity; return true; }
            if (unsigned == "nan") { value = double.NaN; return true; }
        }
        value = 0;
        if (s.Length == 0 || s.Contains("__") || s.StartsWith('_') || s.EndsWith('_')) return false;
        foreach (char c in s)
            if (!(char.IsAsciiDigit(c) || c is '.' or 'e' or '+' or '-' or '_')) return false;
        return double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
