using System.Globalization;
using System.Text;

namespace Specula.Templates;

/// <summary>Renders one value under a Python format conversion (<c>d x o e f g s r c %</c>) with sign,
/// alternate form, width, fill and precision: shared by <c>%</c> formatting and <c>str.format</c>.</summary>
static class NumberFormatting
{
    public sealed class Spec
    {
        public char Fill = ' ';
        public char Align;          // '<', '>', '^', '=' or '\0' for the type's default
        public char Sign = '-';     // '-', '+' or ' '
        public bool Alternate;
        public bool ZeroPad;
        public int Width;
        public int Precision = -1;  // -1: not given
        public char Grouping;       // ',' or '_' or '\0'
        public char Type;           // '\0': none given
    }

    public static string Format(TemplateValue value, Spec spec, bool percentStyle)
    {
        char type = spec.Type;
        if (type is 's' or 'r' or 'a' || (type == '\0' && !Operators.IsNumber(value)))
        {
            var text = type is 'r' or 'a' ? value.ToRepr() : value.ToStr();
            if (spec.Precision >= 0 && spec.Precision < text.Length) text = PythonString.Slice(text, 0, spec.Precision, 1);
            // printf-style right-aligns text, str.format left-aligns it.
            return Pad(text, spec, defaultAlign: percentStyle ? '>' : '<', numeric: false);
        }
        if (type == 'c')
        {
            string character = value switch
            {
                StringValue s when PythonString.Length(s.Value) == 1 => s.Value,
                _ when Operators.TryGetInteger(value, out var code) && code >= 0 && code <= 0x10FFFF => char.ConvertFromUtf32((int)code),
                _ => throw new TemplateException("%c requires an int or a unicode character"),
            };
            return Pad(character, spec, percentStyle ? '>' : '<', numeric: false);
        }
        if (!Operators.IsNumber(value))
        {
            if (value is UndefinedValue u) throw u.Fail();
            throw new TemplateException(percentStyle
                ? $"%{type} format: a real number is required, not {value.TypeName}"
                : $"Unknown format code '{type}' for object of type '{value.TypeName}'");
        }
        bool integral = Operators.TryGetInteger(value, out var integer);
        if (type is 'd' or 'i' or 'u' or 'x' or 'X' or 'o' or 'b' || (type == '\0' && integral))
        {
            if (!integral)
            {
                if (!percentStyle) throw new TemplateException($"Unknown format code '{type}' for object of type 'float'");
                double real = Operators.ToDouble(value);
                if (double.IsNaN(real) || double.IsInfinity(real)) throw new TemplateException("cannot convert float to integer");
                integer = (long)Math.Truncate(real);
            }
            return FormatInteger(integer, spec, percentStyle);
        }
        return FormatFloat(Operators.ToDouble(value), spec);
    }

    static string FormatInteger(long value, Spec spec, bool percentStyle)
    {
        ulong magnitude = value < 0 ? (ulong)-(value + 1) + 1 : (ulong)value;
        string digits;
        string prefix = "";
        switch (spec.Type)
        {
            case 'x': digits = magnitude.ToString("x", CultureInfo.InvariantCulture); if (spec.Alternate) prefix = "0x"; break;
            case 'X': digits = magnitude.ToString("X", CultureInfo.InvariantCulture); if (spec.Alternate) prefix = "0X"; break;
            case 'o': digits = Convert.ToString((long)magnitude, 8); if (spec.Alternate) prefix = "0o"; break;
            case 'b': digits = Convert.ToString((long)magnitude, 2); if (spec.Alternate) prefix = "0b"; break;
            default: digits = magnitude.ToString(CultureInfo.InvariantCulture); break;
        }
        if (percentStyle && spec.Precision > digits.Length) digits = new string('0', spec.Precision - digits.Length) + digits;
        if (spec.Grouping != '\0') digits = Group(digits, spec.Grouping, spec.Type is 'x' or 'X' or 'o' or 'b' ? 4 : 3);
        return PadNumber(value < 0, prefix + digits, spec);
    }

    static string FormatFloat(double value, Spec spec)
    {
        bool negative = value < 0 || (value == 0 && double.IsNegative(value));
        string body;
        char type = spec.Type;
        bool upper = type is 'E' or 'F' or 'G';
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            body = double.IsNaN(value) ? "nan" : "inf";
            if (upper) body = body.ToUpperInvariant();
            negative = value < 0;
            return PadNumber(negative, body, spec, allowZeroPad: false);
        }
        var digits = DecimalDigits.Exact(value);
        int precision = spec.Precision;
        switch (type)
        {
            case 'f' or 'F':
                body = digits.ToFixed(precision < 0 ? 6 : precision);
                if (spec.Alternate && precision == 0) body += ".";
                break;
            case 'e' or 'E':
                body = digits.ToScientific(precision < 0 ? 6 : precision, type);
                break;
            case 'g' or 'G':
                int significant = precision < 0 ? 6 : precision;
                body = digits.ToGeneral(significant, significant == 0 ? 1 : significant, spec.Alternate, upper ? 'E' : 'e');
                break;
            case '%':
                body = DecimalDigits.Exact(value * 100).ToFixed(precision < 0 ? 6 : precision) + "%";
                break;
            case '\0':
                if (precision < 0) body = PythonRepr.Float(Math.Abs(value));
                else
                {
                    // Python: like 'g', but scientific from exponent p - 1 on, and never without a decimal point.
                    body = digits.ToGeneral(precision, Math.Max(precision, 1) - 1, spec.Alternate);
                    if (!body.Contains('e') && !body.Contains('.')) body += ".0";
                }
                break;
            default:
                throw new TemplateException($"unsupported format character '{type}' for a float");
        }
        if (spec.Grouping != '\0')
        {
            int end = body.IndexOfAny(['.', 'e', 'E', '%']);
            if (end < 0) end = body.Length;
            body = Group(body[..end], spec.Grouping, 3) + body[end..];
        }
        return PadNumber(negative, body, spec);
    }

    static string Group(string digits, char separator, int size)
    {
        var text = new StringBuilder();
        for (int i = 0; i < digits.Length; i++)
        {
            if (i > 0 && (digits.Length - i) % size == 0) text.Append(separator);
            text.Append(digits[i]);
        }
        return text.ToString();
    }

    static string PadNumber(bool negative, string body, Spec spec, bool allowZeroPad = true)
    {
        string sign = negative ? "-" : spec.Sign == '+' ? "+" : spec.Sign == ' ' ? " " : "";
        if (spec.ZeroPad && allowZeroPad && spec.Align is '\0' or '=')
        {
            int zeros = spec.Width - sign.Length - body.Length;
            if (zeros > 0)
            {
                // Zeros go after a 0x prefix, as in Python.
                int prefixLength = body.Length > 1 && body[0] == '0' && char.IsLetter(body[1]) ? 2 : 0;
                body = body[..prefixLength] + new string('0', zeros) + body[prefixLength..];
            }
            return sign + body;
        }
        if (spec.Align == '=')
        {
            int fill = spec.Width - sign.Length - body.Length;
            return sign + (fill > 0 ? new string(spec.Fill, fill) : "") + body;
        }
        return Pad(sign + body, spec, defaultAlign: '>', numeric: true);
    }

    static string Pad(string text, Spec spec, char defaultAlign, bool numeric)
    {
        int length = PythonString.Length(text);
        if (spec.Width <= length) return text;
        if (spec.Width > 1_000_000) throw new TemplateException("format width is too large");
        int padding = spec.Width - length;
        char align = spec.Align == '\0' || (!numeric && spec.Align == '=') ? defaultAlign : spec.Align;
        return align switch
        {
            '<' => text + new string(spec.Fill, padding),
            '^' => new string(spec.Fill, padding / 2) + text + new string(spec.Fill, padding - padding / 2),
            _ => new string(spec.Fill, padding) + text,
        };
    }
}
