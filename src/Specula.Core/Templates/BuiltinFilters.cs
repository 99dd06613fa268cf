using System.Text;

namespace Specula.Templates;

/// <summary>Jinja's built-in filters as Python Jinja2 3.1 defines them, plus transformers' non-escaping
/// <c>tojson</c>. Filters that compare strings (<c>sort</c>, <c>unique</c>, <c>dictsort</c>, <c>min</c>,
/// <c>max</c>) ignore case unless <c>case_sensitive=true</c>, as in Jinja.</summary>
static class BuiltinFilters
{
    public delegate TemplateValue Filter(TemplateValue value, CallArguments arguments, RenderState state);

    static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = Attr,
        ["batch"] = Batch,
        ["capitalize"] = (v, a, _) => NoArguments(a, "capitalize", StringValue.Of(PythonString.Capitalize(v.ToStr()))),
        ["center"] = (v, a, _) => StringValue.Of(PythonString.Center(v.ToStr(), Integer(a.Bind("center", "width")[0], "center", 80))),
        ["count"] = Length,
        ["length"] = Length,
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, a, _) => NoArguments(a, "escape", StringValue.Of(Escape(v.ToStr()))),
        ["e"] = (v, a, _) => NoArguments(a, "e", StringValue.Of(Escape(v.ToStr()))),
        ["forceescape"] = (v, a, _) => NoArguments(a, "forceescape", StringValue.Of(Escape(v.ToStr()))),
        ["first"] = First,
        ["last"] = Last,
        ["float"] = ToFloat,
        ["format"] = Format,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = Items,
        ["join"] = Join,
        ["list"] = (v, a, _) => NoArguments(a, "list", new ListValue(v.Iterate().ToArray())),
        ["lower"] = (v, a, _) => NoArguments(a, "lower", StringValue.Of(v.ToStr().ToLowerInvariant())),
        ["upper"] = (v, a, _) => NoArguments(a, "upper", StringValue.Of(v.ToStr().ToUpperInvariant())),
        ["title"] = (v, a, _) => NoArguments(a, "title", StringValue.Of(Title(v.ToStr()))),
        ["map"] = Map,
        ["max"] = (v, a, _) => MinMax(v, a, "max", wantMax: true),
        ["min"] = (v, a, _) => MinMax(v, a, "min", wantMax: false),
        ["select"] = (v, a, s) => Select(v, a, s, "select", byAttribute: false, keep: true),
        ["reject"] = (v, a, s) => Select(v, a, s, "reject", byAttribute: false, keep: false),
        ["selectattr"] = (v, a, s) => Select(v, a, s, "selectattr", byAttribute: true, keep: true),
        ["rejectattr"] = (v, a, s) => Select(v, a, s, "rejectattr", byAttribute: true, keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (v, a, _) => NoArguments(a, "safe", v is StringValue ? v : StringValue.Of(v.ToStr())),
        ["sort"] = Sort,
        ["string"] = (v, a, _) => NoArguments(a, "string", v is StringValue ? v : StringValue.Of(v.ToStr())),
        ["sum"] = Sum,
        ["tojson"] = ToJson,
        ["trim"] = (v, a, _) => StringValue.Of(PythonString.Strip(v.ToStr(), OptionalString(a.Bind("trim", "chars")[0]), true, true)),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["wordcount"] = (v, a, _) => NoArguments(a, "wordcount", IntegerValue.Of(WordCount(v.ToStr()))),
    };

    public static Filter? Find(string name) => Filters.GetValueOrDefault(name);

    static TemplateValue NoArguments(CallArguments arguments, string name, TemplateValue result)
    {
        arguments.ExpectNone(name);
        return result;
    }

    static long Integer(TemplateValue? value, string filter, long fallback)
    {
        if (value == null) return fallback;
        return Operators.TryGetInteger(value, out var result)
            ? result
            : throw new TemplateException($"{filter}: expected an integer argument, got {value.TypeName}");
    }

    static string? OptionalString(TemplateValue? value) => value is null or NoneValue ? null : value.ToStr();

    static TemplateValue Abs(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("abs");
        if (Operators.TryGetInteger(value, out var integer)) return integer < 0 ? Operators.Negate(IntegerValue.Of(integer)) : IntegerValue.Of(integer);
        if (value is FloatValue f) return new FloatValue(Math.Abs(f.Value));
        if (value is UndefinedValue u) throw u.Fail();
        throw new TemplateException($"bad operand type for abs(): '{value.TypeName}'");
    }

    /// <summary><c>attr(name)</c>: only the attribute, never an item (for a dict, only its methods).</summary>
    static TemplateValue Attr(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var name = arguments.Bind("attr", "name")[0]?.ToStr() ?? throw new TemplateException("attr() needs an attribute name");
        if (value is DictValue) return BuiltinMethods.TryBind(value, name) ?? UndefinedValue.MissingAttribute(value, name);
        return value.GetAttribute(name);
    }

    static TemplateValue Batch(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("batch", "linecount", "fill_with");
        long size = Integer(bound[0] ?? throw new TemplateException("batch() needs a size"), "batch", 1);
        if (size <= 0) throw new TemplateException("batch size must be positive");
        var batches = new List<TemplateValue>();
        var current = new List<TemplateValue>();
        foreach (var item in value.Iterate())
        {
            current.Add(item);
            if (current.Count == size)
            {
                batches.Add(new ListValue(current.ToArray()));
                current.Clear();
            }
        }
        if (current.Count > 0)
        {
            if (bound[1] != null)
                while (current.Count < size) current.Add(bound[1]!);
            batches.Add(new ListValue(current.ToArray()));
        }
        return new ListValue(batches.ToArray());
    }

    static TemplateValue Length(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("length");
        return IntegerValue.Of(value switch
        {
            StringValue s => PythonString.Length(s.Value),
            ListValue l => l.Count,
            DictValue d => d.Count,
            UndefinedValue => 0,
            _ => throw new TemplateException($"object of type '{value.TypeName}' has no len()"),
        });
    }

    /// <summary><c>default(value, boolean=false)</c>: the fallback when the input is undefined (or, with
    /// boolean, false).</summary>
    static TemplateValue Default(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("default", "default_value", "boolean");
        bool boolean = bound[1]?.IsTruthy ?? false;
        if (value is UndefinedValue || (boolean && !value.IsTruthy)) return bound[0] ?? StringValue.Empty;
        return value;
    }

    static TemplateValue DictSort(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("dictsort", "case_sensitive", "by", "reverse");
        if (value is not DictValue dict)
        {
            if (value is UndefinedValue u) throw u.Fail();
            throw new TemplateException("dictsort: expected a mapping");
        }
        bool caseSensitive = bound[0]?.IsTruthy ?? false;
        var by = bound[1]?.ToStr() ?? "key";
        int position = by switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateException("You can only sort by either 'key' or 'value'"),
        };
        bool reverse = bound[2]?.IsTruthy ?? false;
        var pairs = BuiltinMethods.Items(dict).Items;
        var sorted = SortStable(pairs, pair => SortKey(((ListValue)pair).Items[position], caseSensitive), reverse);
        return new ListValue(sorted);
    }

    static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("&<>\"'") < 0) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (char c in text)
        {
            escaped.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => null,
            } ?? c.ToString());
        }
        return escaped.ToString();
    }

    static TemplateValue First(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("first");
        var items = value.Iterate();
        return items.Count > 0 ? items[0] : UndefinedValue.WithHint("No first item, sequence was empty.");
    }

    static TemplateValue Last(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("last");
        var items = value.Iterate();
        return items.Count > 0 ? items[^1] : UndefinedValue.WithHint("No last item, sequence was empty.");
    }

    static TemplateValue ToFloat(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var fallback = arguments.Bind("float", "default")[0] ?? new FloatValue(0);
        return value switch
        {
            FloatValue => value,
            IntegerValue or BooleanValue => new FloatValue(Operators.ToDouble(value)),
            StringValue s when PythonConversions.TryParseFloat(s.Value, out var parsed) => new FloatValue(parsed),
            _ => fallback,
        };
    }

    /// <summary><c>int(default=0, base=10)</c>; "42.5" gives 42, as in Jinja.</summary>
    static TemplateValue ToInt(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("int", "default", "base");
        var fallback = bound[0] ?? IntegerValue.Of(0);
        int radix = (int)Integer(bound[1], "int", 10);
        switch (value)
        {
            case IntegerValue: return value;
            case BooleanValue b: return IntegerValue.Of(b.Value ? 1 : 0);
            case FloatValue f:
                return double.IsFinite(f.Value) && Math.Abs(f.Value) < 9.2e18 ? IntegerValue.Of((long)Math.Truncate(f.Value)) : fallback;
            case StringValue s:
                if (PythonConversions.TryParseInt(s.Value, radix, out var integer)) return IntegerValue.Of(integer);
                if (PythonConversions.TryParseFloat(s.Value, out var real) && double.IsFinite(real) && Math.Abs(real) < 9.2e18)
                    return IntegerValue.Of((long)Math.Truncate(real));
                return fallback;
            default:
                return fallback;
        }
    }

    /// <summary><c>"%s and %s"|format(a, b)</c>: printf-style formatting.</summary>
    static TemplateValue Format(TemplateValue value, CallArguments arguments, RenderState state)
    {
        if (arguments.Positional.Length > 0 && arguments.Named.Length > 0)
            throw new TemplateException("format: can't handle positional and keyword arguments at the same time");
        TemplateValue values;
        if (arguments.Named.Length > 0)
        {
            var dict = new DictValue();
            foreach (var (name, argument) in arguments.Named) dict.Set(name, argument);
            values = dict;
        }
        else values = new ListValue(arguments.Positional, isTuple: true);
        return StringValue.Of(PercentFormat.Apply(value.ToStr(), values));
    }

    /// <summary><c>indent(width=4, first=false, blank=false)</c>: indents every line but the first (and
    /// blank lines only when <c>blank</c>).</summary>
    static TemplateValue Indent(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("indent", "width", "first", "blank");
        string indentation = bound[0] switch
        {
            null => "    ",
            StringValue s => s.Value,
            var w => new string(' ', (int)Math.Clamp(Integer(w, "indent", 4), 0, 10_000)),
        };
        bool first = bound[1]?.IsTruthy ?? false, blank = bound[2]?.IsTruthy ?? false;
        var lines = PythonString.SplitLines(value.ToStr() + "\n");
        var result = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            if (i > 0) result.Append('\n');
            bool indentThis = i == 0 ? first : blank || lines[i].Length > 0;
            if (indentThis) result.Append(indentation);
            result.Append(lines[i]);
        }
        return StringValue.Of(result.ToString());
    }

    static TemplateValue Items(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("items");
        return value switch
        {
            DictValue dict => BuiltinMethods.Items(dict),
            UndefinedValue => new ListValue([]),
            _ => throw new TemplateException("Can only get item pairs from a mapping."),
        };
    }

    static TemplateValue Join(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("join", "d", "attribute");
        var separator = bound[0]?.ToStr() ?? "";
        var items = value.Iterate();
        var getter = bound[1] is null or NoneValue ? null : AttributeGetter(bound[1]!);
        var text = new StringBuilder();
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0) text.Append(separator);
            text.Append((getter == null ? items[i] : getter(items[i])).ToStr());
        }
        return StringValue.Of(text.ToString());
    }

    /// <summary>Jinja's <c>make_attrgetter</c>: "a.b.0" looks up item a, then b, then index 0.</summary>
    static Func<TemplateValue, TemplateValue> AttributeGetter(TemplateValue attribute, TemplateValue? fallback = null)
    {
        if (Operators.TryGetInteger(attribute, out var position))
            return item => item.GetItem(IntegerValue.Of(position));
        var parts = attribute.ToStr().Split('.')
            .Select(part => part.Length > 0 && part.All(char.IsAsciiDigit)
                ? (TemplateValue)IntegerValue.Of(long.Parse(part, System.Globalization.CultureInfo.InvariantCulture))
                : StringValue.Of(part))
            .ToArray();
        return item =>
        {
            foreach (var part in parts)
            {
                item = item.GetItem(part);
                if (item is UndefinedValue && fallback != null) return fallback;
            }
            return item;
        };
    }

    /// <summary><c>map(attribute='name', default=x)</c> or <c>map('filter', args...)</c>.</summary>
    static TemplateValue Map(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var items = value.Iterate();
        var results = new TemplateValue[items.Count];
        if (arguments.Positional.Length == 0)
        {
            var attribute = arguments.GetNamed("attribute") ?? throw new TemplateException("map: give a filter name or attribute=");
            foreach (var (name, _) in arguments.Named)
                if (name is not ("attribute" or "default")) throw new TemplateException($"map: unexpected keyword argument '{name}'");
            var getter = AttributeGetter(attribute, arguments.GetNamed("default"));
            for (int i = 0; i < items.Count; i++) results[i] = getter(items[i]);
            return new ListValue(results);
        }
        var filterName = arguments.Positional[0].ToStr();
        var filter = Find(filterName) ?? throw new TemplateException($"map: no filter named '{filterName}'");
        var rest = new CallArguments(arguments.Positional[1..], arguments.Named);
        for (int i = 0; i < items.Count; i++) results[i] = filter(items[i], rest, state);
        return new ListValue(results);
    }

    static TemplateValue MinMax(TemplateValue value, CallArguments arguments, string name, bool wantMax)
    {
        var bound = arguments.Bind(name, "case_sensitive", "attribute");
        bool caseSensitive = bound[0]?.IsTruthy ?? false;
        var getter = bound[1] is null or NoneValue ? null : AttributeGetter(bound[1]!);
        TemplateValue? best = null, bestKey = null;
        foreach (var item in value.Iterate())
        {
            var key = SortKey(getter == null ? item : getter(item), caseSensitive);
            if (best == null || (wantMax ? Operators.Compare(key, bestKey!) > 0 : Operators.Compare(key, bestKey!) < 0))
            {
                best = item;
                bestKey = key;
            }
        }
        return best ?? UndefinedValue.WithHint("No aggregated item, sequence was empty.");
    }

    /// <summary><c>select/reject(test, args)</c> and <c>selectattr/rejectattr(attribute, test, args)</c>;
    /// without a test an item's truthiness decides.</summary>
    static TemplateValue Select(TemplateValue value, CallArguments arguments, RenderState state, string name, bool byAttribute, bool keep)
    {
        var positional = arguments.Positional;
        int next = 0;
        Func<TemplateValue, TemplateValue> getter = item => item;
        if (byAttribute)
        {
            if (positional.Length == 0) throw new TemplateException($"{name}: missing the attribute to test");
            getter = AttributeGetter(positional[next++]);
        }
        BuiltinTests.Test? test = null;
        CallArguments testArguments = CallArguments.Empty;
        if (next < positional.Length)
        {
            var testName = positional[next++].ToStr();
            test = BuiltinTests.Find(testName) ?? throw new TemplateException($"{name}: no test named '{testName}'");
            testArguments = new CallArguments(positional[next..], arguments.Named);
        }
        else if (arguments.Named.Length > 0) throw new TemplateException($"{name}: keyword arguments need a test name");
        var kept = new List<TemplateValue>();
        foreach (var item in value.Iterate())
        {
            var subject = getter(item);
            bool passes = test == null ? subject.IsTruthy : test(subject, testArguments, state);
            if (passes == keep) kept.Add(item);
        }
        return new ListValue(kept.ToArray());
    }

    static TemplateValue Replace(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("replace", "old", "new", "count");
        var old = bound[0]?.ToStr() ?? throw new TemplateException("replace() needs the text to replace");
        var replacement = bound[1]?.ToStr() ?? throw new TemplateException("replace() needs the replacement text");
        long count = bound[2] is null or NoneValue ? -1 : Integer(bound[2], "replace", -1);
        return StringValue.Of(PythonString.Replace(value.ToStr(), old, replacement, count));
    }

    static TemplateValue Reverse(TemplateValue value, CallArguments arguments, RenderState state)
    {
        arguments.ExpectNone("reverse");
        if (value is StringValue s) return StringValue.Of(PythonString.Reverse(s.Value));
        var items = value.Iterate().ToArray();
        Array.Reverse(items);
        return new ListValue(items);
    }

    /// <summary><c>round(precision=0, method='common')</c>: 'common' is Python's round (half to even on the
    /// exact binary value); 'ceil'/'floor' round up/down. Floats stay floats, ints stay ints.</summary>
    static TemplateValue Round(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("round", "precision", "method");
        int precision = (int)Math.Clamp(Integer(bound[0], "round", 0), -400, 400);
        var method = bound[1]?.ToStr() ?? "common";
        if (method is not ("common" or "ceil" or "floor"))
            throw new TemplateException("method must be 'common', 'ceil' or 'floor'");
        if (!Operators.IsNumber(value))
        {
            if (value is UndefinedValue u) throw u.Fail();
            throw new TemplateException($"type {value.TypeName} doesn't define __round__ method");
        }
        double x = Operators.ToDouble(value);
        if (method == "common")
        {
            if (Operators.TryGetInteger(value, out var integer) && precision >= 0) return IntegerValue.Of(integer);
            if (!double.IsFinite(x)) return new FloatValue(x);
            var digits = DecimalDigits.Exact(x).RoundToDecimals(precision);
            double rounded = digits.ToDouble();
            return new FloatValue(x < 0 ? -rounded : rounded);
        }
        double scale = Math.Pow(10, precision);
        double whole = method == "ceil" ? Math.Ceiling(x * scale) : Math.Floor(x * scale);
        return new FloatValue(whole / scale);
    }

    static TemplateValue Sort(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("sort", "reverse", "case_sensitive", "attribute");
        bool reverse = bound[0]?.IsTruthy ?? false, caseSensitive = bound[1]?.IsTruthy ?? false;
        var getter = bound[2] is null or NoneValue ? null : AttributeGetter(bound[2]!);
        var items = value.Iterate();
        return new ListValue(SortStable(items, item => SortKey(getter == null ? item : getter(item), caseSensitive), reverse));
    }

    /// <summary>A stable sort, as Python's; keys are computed once.</summary>
    static TemplateValue[] SortStable(IReadOnlyList<TemplateValue> items, Func<TemplateValue, TemplateValue> key, bool reverse)
    {
        var keys = new TemplateValue[items.Count];
        var order = new int[items.Count];
        for (int i = 0; i < order.Length; i++)
        {
            keys[i] = key(items[i]);
            order[i] = i;
        }
        var sortedOrder = order.OrderBy(i => i, Comparer<int>.Create((a, b) =>
        {
            int byKey = Operators.Compare(keys[a], keys[b]);
            return reverse ? -byKey : byKey;
        })).ToArray();
        var sorted = new TemplateValue[items.Count];
        for (int i = 0; i < sorted.Length; i++) sorted[i] = items[sortedOrder[i]];
        return sorted;
    }

    /// <summary>Jinja compares strings case-insensitively unless asked otherwise.</summary>
    static TemplateValue SortKey(TemplateValue value, bool caseSensitive) =>
        !caseSensitive && value is StringValue s ? StringValue.Of(s.Value.ToLowerInvariant()) : value;

    static TemplateValue Sum(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("sum", "attribute", "start");
        var getter = bound[0] is null or NoneValue ? null : AttributeGetter(bound[0]!);
        var total = bound[1] ?? IntegerValue.Of(0);
        foreach (var item in value.Iterate()) total = Operators.Add(total, getter == null ? item : getter(item));
        return total;
    }

    /// <summary>transformers' <c>tojson(ensure_ascii=False, indent=None, separators=None, sort_keys=False)</c>,
    /// which is Python's json.dumps.</summary>
    static TemplateValue ToJson(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("tojson", "ensure_ascii", "indent", "separators", "sort_keys");
        var options = new PythonJson.Options
        {
            EnsureAscii = bound[0]?.IsTruthy ?? false,
            SortKeys = bound[3]?.IsTruthy ?? false,
        };
        switch (bound[1])
        {
            case null or NoneValue: break;
            case StringValue s: options.Indent = s.Value; break;
            case var width:
                options.Indent = new string(' ', (int)Math.Clamp(Integer(width, "tojson", 0), 0, 1000));
                break;
        }
        if (options.Indent != null) options.ItemSeparator = ",";
        if (bound[2] is ListValue { Count: 2 } separators)
        {
            options.ItemSeparator = separators.Items[0].ToStr();
            options.KeySeparator = separators.Items[1].ToStr();
        }
        else if (bound[2] is not (null or NoneValue)) throw new TemplateException("tojson: separators must be a pair of strings");
        return StringValue.Of(PythonJson.Serialize(value, options));
    }

    static TemplateValue Truncate(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("truncate", "length", "killwords", "end", "leeway");
        var text = value.ToStr();
        long length = Integer(bound[0], "truncate", 255);
        bool killWords = bound[1]?.IsTruthy ?? false;
        var end = bound[2]?.ToStr() ?? "...";
        long leeway = bound[3] is null or NoneValue ? 5 : Integer(bound[3], "truncate", 5);
        if (length < PythonString.Length(end)) throw new TemplateException($"expected length >= {PythonString.Length(end)}, got {length}");
        if (leeway < 0) throw new TemplateException($"expected leeway >= 0, got {leeway}");
        if (PythonString.Length(text) <= length + leeway) return StringValue.Of(text);
        var kept = PythonString.Slice(text, 0, length - PythonString.Length(end), 1);
        if (!killWords)
        {
            int space = kept.LastIndexOf(' ');
            if (space >= 0) kept = kept[..space];
        }
        return StringValue.Of(kept + end);
    }

    static TemplateValue Unique(TemplateValue value, CallArguments arguments, RenderState state)
    {
        var bound = arguments.Bind("unique", "case_sensitive", "attribute");
        bool caseSensitive = bound[0]?.IsTruthy ?? false;
        var getter = bound[1] is null or NoneValue ? null : AttributeGetter(bound[1]!);
        var seen = new HashSet<TemplateValue>(PythonKeyComparer.Instance);
        var kept = new List<TemplateValue>();
        foreach (var item in value.Iterate())
            if (seen.Add(SortKey(getter == null ? item : getter(item), caseSensitive))) kept.Add(item);
        return new ListValue(kept.ToArray());
    }

    /// <summary>Jinja's <c>title</c> filter: a word starts after whitespace, '-', or an opening bracket.</summary>
    static string Title(string text)
    {
        var result = new StringBuilder(text.Length);
        bool wordStart = true;
        foreach (var rune in text.EnumerateRunes())
        {
            bool isBoundary = Rune.IsWhiteSpace(rune) || rune.Value is '-' or '(' or '{' or '[' or '<' || (rune.IsBmp && PythonString.IsSpace((char)rune.Value));
            result.Append((isBoundary ? rune : wordStart ? Rune.ToUpperInvariant(rune) : Rune.ToLowerInvariant(rune)).ToString());
            wordStart = isBoundary;
        }
        return result.ToString();
    }

    static int WordCount(string text)
    {
        int count = 0;
        bool inWord = false;
        foreach (var rune in text.EnumerateRunes())
        {
            bool wordCharacter = Rune.IsLetterOrDigit(rune) || rune.Value == '_';
            if (wordCharacter && !inWord) count++;
            inWord = wordCharacter;
        }
        return count;
    }
}
