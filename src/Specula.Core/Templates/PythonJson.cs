using System.Globalization;
using System.Text;

namespace Specula.Templates;

/// <summary>Python's <c>json.dumps</c> as transformers' <c>tojson</c> filter calls it (ensure_ascii=False,
/// no HTML escaping): separators <c>", "</c>/<c>": "</c>, or <c>","</c> and newlines when indented; keys
/// in insertion order unless sorted; floats as Python's repr; non-ASCII text written as is.</summary>
static class PythonJson
{
    public sealed class Options
    {
        public string? Indent;               // null: single line
        public string ItemSeparator = ", ";
        public string KeySeparator = ": ";
        public bool SortKeys;
        public bool EnsureAscii;
    }

    const int MaxDepth = 512;

    public static string Serialize(TemplateValue value, Options options)
    {
        var output = new StringBuilder();
        Write(output, value, options, 0);
        return output.ToString();
    }

    static void Write(StringBuilder output, TemplateValue value, Options options, int depth)
    {
        if (depth > MaxDepth) throw new TemplateException("tojson: value is nested too deeply");
        switch (value)
        {
            case StringValue s: WriteString(output, s.Value, options.EnsureAscii); break;
            case BooleanValue b: output.Append(b.Value ? "true" : "false"); break;
            case IntegerValue i: output.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case FloatValue f: output.Append(FloatText(f.Value)); break;
            case NoneValue: output.Append("null"); break;
            case ListValue list: WriteList(output, list, options, depth); break;
            case DictValue dict: WriteDict(output, dict, options, depth); break;
            case UndefinedValue: throw new TemplateException("Object of type Undefined is not JSON serializable");
            default: throw new TemplateException($"Object of type {value.TypeName} is not JSON serializable");
        }
    }

    static string FloatText(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "Infinity" : double.IsNegativeInfinity(value) ? "-Infinity"
        : PythonRepr.Float(value);

    static void NewLine(StringBuilder output, Options options, int depth)
    {
        output.Append('\n');
        for (int i = 0; i < depth; i++) output.Append(options.Indent);
    }

    static void WriteList(StringBuilder output, ListValue list, Options options, int depth)
    {
        if (list.Count == 0)
        {
            output.Append("[]");
            return;
        }
        output.Append('[');
        for (int i = 0; i < list.Count; i++)
        {
            if (i > 0) output.Append(options.ItemSeparator);
            if (options.Indent != null) NewLine(output, options, depth + 1);
            Write(output, list.Items[i], options, depth + 1);
        }
        if (options.Indent != null) NewLine(output, options, depth);
        output.Append(']');
    }

    static void WriteDict(StringBuilder output, DictValue dict, Options options, int depth)
    {
        if (dict.Count == 0)
        {
            output.Append("{}");
            return;
        }
        IEnumerable<KeyValuePair<TemplateValue, TemplateValue>> entries = dict.Entries;
        if (options.SortKeys)
        {
            var sorted = dict.Entries.ToList();
            sorted.Sort((a, b) => Operators.Compare(a.Key, b.Key));
            entries = sorted;
        }
        output.Append('{');
        bool first = true;
        foreach (var (key, item) in entries)
        {
            if (!first) output.Append(options.ItemSeparator);
            first = false;
            if (options.Indent != null) NewLine(output, options, depth + 1);
            WriteString(output, KeyText(key), options.EnsureAscii);
            output.Append(options.KeySeparator);
            Write(output, item, options, depth + 1);
        }
        if (options.Indent != null) NewLine(output, options, depth);
        output.Append('}');
    }

    /// <summary>json.dumps turns non-string keys into strings: numbers as text, True/False/None as JSON.</summary>
    static string KeyText(TemplateValue key) => key switch
    {
        StringValue s => s.Value,
        BooleanValue b => b.Value ? "true" : "false",
        NoneValue => "null",
        IntegerValue i => i.Value.ToString(CultureInfo.InvariantCulture),
        FloatValue f => FloatText(f.Value),
        _ => throw new TemplateException($"keys must be str, int, float, bool or None, not {key.TypeName}"),
    };

    public static void WriteString(StringBuilder output, string text, bool ensureAscii)
    {
        output.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e))
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else output.Append(c);
                    break;
            }
        }
        output.Append('"');
    }
}
