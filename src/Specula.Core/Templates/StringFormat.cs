using System.Text;

namespace Specula.Templates;

/// <summary>Python's <c>str.format</c>: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, attribute and index chains
/// (<c>{0.name}</c>, <c>{m[role]}</c>), conversions <c>!s</c>/<c>!r</c> and format specs such as
/// <c>{:&gt;10}</c> or <c>{:.2f}</c>; <c>{{</c> and <c>}}</c> are literal braces.</summary>
static class StringFormat
{
    public static string Apply(string format, CallArguments arguments)
    {
        var output = new StringBuilder(format.Length + 16);
        int automatic = 0;
        int i = 0;
        while (i < format.Length)
        {
            char c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}') { output.Append('}'); i += 2; continue; }
                throw new TemplateException("Single '}' encountered in format string");
            }
            if (c != '{') { output.Append(c); i++; continue; }
            if (i + 1 < format.Length && format[i + 1] == '{') { output.Append('{'); i += 2; continue; }
            int close = format.IndexOf('}', i + 1);
            if (close < 0) throw new TemplateException("Single '{' encountered in format string");
            var field = format[(i + 1)..close];
            if (field.Contains('{')) throw new TemplateException("nested replacement fields are not supported in format specs");
            output.Append(FormatField(field, arguments, ref automatic));
            i = close + 1;
        }
        return output.ToString();
    }

    static string FormatField(string field, CallArguments arguments, ref int automatic)
    {
        string specText = "";
        int colon = field.IndexOf(':');
        if (colon >= 0)
        {
            specText = field[(colon + 1)..];
            field = field[..colon];
        }
        char conversion = '\0';
        int bang = field.IndexOf('!');
        if (bang >= 0)
        {
            if (bang + 2 != field.Length) throw new TemplateException("expected ':' after conversion specifier");
            conversion = field[bang + 1];
            field = field[..bang];
        }
        int end = 0;
        while (end < field.Length && field[end] is not ('.' or '[')) end++;
        var head = field[..end];
        TemplateValue value;
        if (head.Length == 0)
        {
            value = Positional(arguments, automatic++);
        }
        else if (head.All(char.IsAsciiDigit))
        {
            value = Positional(arguments, int.Parse(head, System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            value = arguments.GetNamed(head) ?? throw new TemplateException($"KeyError: '{head}'");
        }
        int at = end;
        while (at < field.Length)
        {
            if (field[at] == '.')
            {
                int next = at + 1;
                while (next < field.Length && field[next] is not ('.' or '[')) next++;
                value = value.GetAttribute(field[(at + 1)..next]);
                at = next;
            }
            else
            {
                int close = field.IndexOf(']', at);
                if (close < 0) throw new TemplateException("Missing ']' in format string");
                var key = field[(at + 1)..close];
                value = value.GetItem(key.Length > 0 && key.All(char.IsAsciiDigit)
                    ? IntegerValue.Of(long.Parse(key, System.Globalization.CultureInfo.InvariantCulture))
                    : StringValue.Of(key));
                at = close + 1;
            }
        }
        if (conversion is 'r' or 'a') value = StringValue.Of(value.ToRepr());
        else if (conversion == 's') value = StringValue.Of(value.ToStr());
        else if (conversion != '\0') throw new TemplateException($"Unknown conversion specifier {conversion}");
        return NumberFormatting.Format(value, ParseSpec(specText), percentStyle: false);
    }

    static TemplateValue Positional(CallArguments arguments, int index) =>
        index < arguments.Positional.Length
            ? arguments.Positional[index]
            : throw new TemplateException($"Replacement index {index} out of range for positional args tuple");

    /// <summary>Parses <c>[[fill]align][sign][#][0][width][,|_][.precision][type]</c>.</summary>
    static NumberFormatting.Spec ParseSpec(string text)
    {
        var spec = new NumberFormatting.Spec();
        int i = 0;
        if (text.Length >= 2 && text[1] is '<' or '>' or '^' or '=')
        {
            spec.Fill = text[0];
            spec.Align = text[1];
            i = 2;
        }
        else if (text.Length >= 1 && text[0] is '<' or '>' or '^' or '=')
        {
            spec.Align = text[0];
            i = 1;
        }
        if (i < text.Length && text[i] is '+' or '-' or ' ') spec.Sign = text[i++];
        if (i < text.Length && text[i] == '#') { spec.Alternate = true; i++; }
        if (i < text.Length && text[i] == '0')
        {
            spec.ZeroPad = spec.Align == '\0';
            if (spec.Align == '\0') { spec.Fill = '0'; spec.Align = '='; }
            i++;
        }
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            spec.Width = spec.Width * 10 + (text[i++] - '0');
            if (spec.Width > 1_000_000) throw new TemplateException("format width is too large");
        }
        if (i < text.Length && text[i] is ',' or '_') spec.Grouping = text[i++];
        if (i < text.Length && text[i] == '.')
        {
            i++;
            int precision = 0, digits = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                precision = precision * 10 + (text[i++] - '0');
                digits++;
                if (precision > 1_000_000) throw new TemplateException("format precision is too large");
            }
            if (digits == 0) throw new TemplateException("Format specifier missing precision");
            spec.Precision = precision;
        }
        if (i < text.Length) spec.Type = text[i++];
        if (i < text.Length) throw new TemplateException($"Invalid format specifier '{text}'");
        return spec;
    }
}
