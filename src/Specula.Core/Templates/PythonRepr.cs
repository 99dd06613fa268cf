using System.Globalization;
using System.Text;

namespace Specula.Templates;

/// <summary>Python's text forms of values: <c>repr()</c> of strings and <c>repr()</c>/<c>str()</c> of floats
/// (shortest round-trip digits, scientific notation below 1e-4 and from 1e16).</summary>
static class PythonRepr
{
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        var (negative, digits, pointPosition) = ShortestDigits(value);
        var text = new StringBuilder(32);
        if (negative) text.Append('-');
        int exponent = pointPosition - 1;
        if (exponent < -4 || exponent >= 16)
        {
            text.Append(digits[0]);
            if (digits.Length > 1) text.Append('.').Append(digits, 1, digits.Length - 1);
            text.Append('e').Append(exponent < 0 ? '-' : '+');
            text.Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPosition <= 0)
        {
            text.Append("0.").Append('0', -pointPosition).Append(digits);
        }
        else if (pointPosition >= digits.Length)
        {
            text.Append(digits).Append('0', pointPosition - digits.Length).Append(".0");
        }
        else
        {
            text.Append(digits, 0, pointPosition).Append('.').Append(digits, pointPosition, digits.Length - pointPosition);
        }
        return text.ToString();
    }

    /// <summary>The shortest digits that round-trip (from .NET's "R" format) and where the decimal point
    /// goes: value = 0.DIGITS x 10^pointPosition.</summary>
    public static (bool Negative, string Digits, int PointPosition) ShortestDigits(double value)
    {
        string roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        int exponentAt = roundTrip.IndexOf('E');
        int exponent = 0;
        string mantissa = roundTrip;
        if (exponentAt >= 0)
        {
            exponent = int.Parse(roundTrip.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            mantissa = roundTrip[..exponentAt];
        }
        int dot = mantissa.IndexOf('.');
        string digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        int pointPosition = (dot < 0 ? mantissa.Length : dot) + exponent;
        int leadingZeros = 0;
        while (leadingZeros < digits.Length - 1 && digits[leadingZeros] == '0') leadingZeros++;
        digits = digits[leadingZeros..].TrimEnd('0');
        pointPosition -= leadingZeros;
        if (digits.Length == 0) digits = "0";
        return (value < 0, digits, pointPosition);
    }

    /// <summary>Python's <c>repr(str)</c>: single quotes unless the text holds a single quote and no double
    /// quote; backslash escapes for the quote, backslash, \t \n \r and non-printable characters.</summary>
    public static string QuoteString(string value)
    {
        char quote = value.Contains('\'') && !value.Contains('"') ? '"' : '\'';
        var text = new StringBuilder(value.Length + 2);
        text.Append(quote);
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == quote || c == '\\') text.Append('\\').Append(c);
            else if (c == '\t') text.Append("\\t");
            else if (c == '\n') text.Append("\\n");
            else if (c == '\r') text.Append("\\r");
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                var rune = new Rune(c, value[i + 1]);
                if (IsPrintable(Rune.GetUnicodeCategory(rune))) text.Append(c).Append(value[i + 1]);
                else text.Append("\\U").Append(rune.Value.ToString("x8", CultureInfo.InvariantCulture));
                i++;
            }
            else if (c < 0x7f && c >= 0x20) text.Append(c);
            else if (c < 0xa0 && !char.IsSurrogate(c) && c != ' ' || !IsPrintable(char.GetUnicodeCategory(c)))
                text.Append(c < 0x100 ? "\\x" + ((int)c).ToString("x2", CultureInfo.InvariantCulture)
                                      : "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else text.Append(c);
        }
        return text.Append(quote).ToString();
    }

    /// <summary>Python's <c>str.isprintable</c> by category: not control, format, surrogate, private use,
    /// unassigned, or a separator other than the ASCII space.</summary>
    static bool IsPrintable(UnicodeCategory category) => category switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
