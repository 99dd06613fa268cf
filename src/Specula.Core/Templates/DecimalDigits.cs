using System.Numerics;
using System.Text;

namespace Specula.Templates;

/// <summary>The exact decimal expansion of a double and Python's ways of rounding and printing it
/// (<c>round()</c>, <c>%.2f</c>, <c>%e</c>, <c>%g</c>): value = 0.Digits x 10^Point, rounded half-to-even
/// on the exact binary value as CPython does.</summary>
readonly record struct DecimalDigits(string Digits, int Point)
{
    public static DecimalDigits Exact(double value)
    {
        value = Math.Abs(value);
        if (value == 0) return new DecimalDigits("0", 1);
        long bits = BitConverter.DoubleToInt64Bits(value);
        int exponentBits = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        int exponent;
        if (exponentBits == 0) exponent = -1074;
        else
        {
            mantissa |= 1L << 52;
            exponent = exponentBits - 1075;
        }
        string digits;
        int point;
        if (exponent >= 0)
        {
            digits = (new BigInteger(mantissa) << exponent).ToString();
            point = digits.Length;
        }
        else
        {
            digits = (new BigInteger(mantissa) * BigInteger.Pow(5, -exponent)).ToString();
            point = digits.Length + exponent;
        }
        digits = digits.TrimEnd('0');
        return new DecimalDigits(digits.Length == 0 ? "0" : digits, point);
    }

    public bool IsZero => Digits == "0";

    /// <summary>Keeps the first <paramref name="keep"/> significant digits (relative to <see cref="Point"/>
    /// as it is now), rounding half to even.</summary>
    public DecimalDigits RoundToSignificant(int keep)
    {
        if (keep >= Digits.Length) return this;
        // A leading zero absorbs a carry out of the first digit (9.99 -> 10.0).
        var padded = "0" + Digits;
        int keepPadded = keep + 1;
        if (keepPadded <= 0) return new DecimalDigits("0", 1);
        var kept = new StringBuilder(padded, 0, keepPadded, keepPadded);
        char next = padded[keepPadded];
        bool restIsZero = padded.AsSpan(keepPadded + 1).TrimEnd('0').IsEmpty;
        bool roundUp = next > '5' || (next == '5' && (!restIsZero || (kept[^1] - '0') % 2 == 1));
        if (roundUp)
        {
            int i = kept.Length - 1;
            while (kept[i] == '9')
            {
                kept[i] = '0';
                i--;
            }
            kept[i]++;
        }
        var text = kept.ToString();
        int point = Point + 1;
        int leading = 0;
        while (leading < text.Length - 1 && text[leading] == '0') leading++;
        text = text[leading..].TrimEnd('0');
        point -= leading;
        return text.Length == 0 ? new DecimalDigits("0", 1) : new DecimalDigits(text, point);
    }

    /// <summary>Rounds to <paramref name="decimals"/> digits after the decimal point.</summary>
    public DecimalDigits RoundToDecimals(int decimals) => RoundToSignificant(Point + decimals);

    /// <summary>Fixed notation with exactly <paramref name="decimals"/> digits after the point.</summary>
    public string ToFixed(int decimals)
    {
        var rounded = RoundToDecimals(decimals);
        var text = new StringBuilder();
        if (rounded.IsZero || rounded.Point <= 0) text.Append('0');
        else for (int i = 0; i < rounded.Point; i++) text.Append(i < rounded.Digits.Length ? rounded.Digits[i] : '0');
        if (decimals > 0)
        {
            text.Append('.');
            for (int i = 0; i < decimals; i++)
            {
                int index = rounded.IsZero ? -1 : rounded.Point + i;
                text.Append(index >= 0 && index < rounded.Digits.Length ? rounded.Digits[index] : '0');
            }
        }
        return text.ToString();
    }

    /// <summary>Scientific notation with <paramref name="decimals"/> mantissa decimals, Python style
    /// (<c>1.500000e+03</c>, exponent of at least two digits).</summary>
    public string ToScientific(int decimals, char exponentLetter = 'e')
    {
        var rounded = RoundToSignificant(decimals + 1);
        int exponent = rounded.IsZero ? 0 : rounded.Point - 1;
        var text = new StringBuilder();
        text.Append(rounded.Digits[0]);
        if (decimals > 0)
        {
            text.Append('.');
            for (int i = 1; i <= decimals; i++) text.Append(i < rounded.Digits.Length ? rounded.Digits[i] : '0');
        }
        text.Append(exponentLetter).Append(exponent < 0 ? '-' : '+');
        text.Append(Math.Abs(exponent).ToString("00", System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();
    }

    /// <summary>Python's <c>%g</c>: <paramref name="precision"/> significant digits, scientific when the
    /// exponent is below -4 or at least <paramref name="switchAt"/>; trailing zeros dropped unless
    /// <paramref name="keepZeros"/>.</summary>
    public string ToGeneral(int precision, int switchAt, bool keepZeros, char exponentLetter = 'e')
    {
        if (precision == 0) precision = 1;
        var rounded = RoundToSignificant(precision);
        int exponent = rounded.IsZero ? 0 : rounded.Point - 1;
        string text = exponent >= -4 && exponent < switchAt
            ? rounded.ToFixed(Math.Max(0, precision - 1 - exponent))
            : rounded.ToScientific(precision - 1, exponentLetter);
        if (keepZeros) return text;
        int e = text.IndexOf(exponentLetter);
        string mantissa = e < 0 ? text : text[..e], suffix = e < 0 ? "" : text[e..];
        if (mantissa.Contains('.')) mantissa = mantissa.TrimEnd('0').TrimEnd('.');
        return mantissa + suffix;
    }

    public double ToDouble() =>
        double.Parse($"0.{Digits}e{Point}", System.Globalization.CultureInfo.InvariantCulture);
}
