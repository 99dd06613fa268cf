using System.Text;

namespace Specula.Templates;

/// <summary>Python's printf-style <c>"format" % values</c> (also the <c>format</c> filter): a tuple gives
/// several arguments, a dict feeds <c>%(name)s</c>, anything else is the single argument.</summary>
static class PercentFormat
{
    public static string Apply(string format, TemplateValue values)
    {
        IReadOnlyList<TemplateValue> arguments = values is ListValue { IsTuple: true } tuple ? tuple.Items : [values];
        var mapping = values as DictValue;
        int next = 0;
        var output = new StringBuilder(format.Length + 16);
        int i = 0;
        while (i < format.Length)
        {
            char c = format[i++];
            if (c != '%')
            {
                output.Append(c);
                continue;
            }
            if (i >= format.Length) throw new TemplateException("incomplete format");
            TemplateValue? named = null;
            if (format[i] == '(')
            {
                if (mapping == null) throw new TemplateException("format requires a mapping");
                int close = format.IndexOf(')', i);
                if (close < 0) throw new TemplateException("incomplete format key");
                var key = StringValue.Of(format[(i + 1)..close]);
                if (!mapping.TryGet(key, out named)) throw new TemplateException($"KeyError: {key.ToRepr()}");
                i = close + 1;
            }
            var spec = new NumberFormatting.Spec();
            for (; i < format.Length; i++)
            {
                char flag = format[i];
                if (flag == '-') spec.Align = '<';
                else if (flag == '0') spec.ZeroPad = true;
                else if (flag is '+' or ' ') spec.Sign = flag == '+' || spec.Sign == '+' ? '+' : ' ';
                else if (flag == '#') spec.Alternate = true;
                else break;
            }
            if (spec.Align == '<') spec.ZeroPad = false;
            spec.Width = ReadNumber(format, ref i, () => NextArgument(arguments, ref next));
            if (spec.Width < 0)
            {
                spec.Align = '<';
                spec.Width = -spec.Width;
            }
            if (i < format.Length && format[i] == '.')
            {
                i++;
                spec.Precision = Math.Max(0, ReadNumber(format, ref i, () => NextArgument(arguments, ref next)));
            }
            while (i < format.Length && format[i] is 'h' or 'l' or 'L') i++;
            if (i >= format.Length) throw new TemplateException("incomplete format");
            char type = format[i++];
            if (type == '%')
            {
                output.Append('%');
                continue;
            }
            if ("diouxXeEfFgGcrsa".IndexOf(type) < 0)
                throw new TemplateException($"unsupported format character '{type}' (0x{(int)type:x}) at index {i - 1}");
            spec.Type = type;
            var argument = named ?? NextArgument(arguments, ref next);
            output.Append(NumberFormatting.Format(argument, spec, percentStyle: true));
        }
        if (mapping == null && next < arguments.Count)
            throw new TemplateException("not all arguments converted during string formatting");
        return output.ToString();
    }

    static TemplateValue NextArgument(IReadOnlyList<TemplateValue> arguments, ref int next)
    {
        if (next >= arguments.Count) throw new TemplateException("not enough arguments for format string");
        return arguments[next++];
    }

    static int ReadNumber(string format, ref int i, Func<TemplateValue> star)
    {
        if (i < format.Length && format[i] == '*')
        {
            i++;
            if (!Operators.TryGetInteger(star(), out var fromArgument)) throw new TemplateException("* wants int");
            return (int)Math.Clamp(fromArgument, -1_000_000, 1_000_000);
        }
        int value = 0;
        while (i < format.Length && char.IsAsciiDigit(format[i]))
        {
            value = value * 10 + (format[i++] - '0');
            if (value > 1_000_000) throw new TemplateException("format width or precision is too large");
        }
        return value;
    }
}
