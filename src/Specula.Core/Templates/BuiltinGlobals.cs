namespace Specula.Templates;

/// <summary>The functions every template can call: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c>
/// and transformers' <c>raise_exception</c> and <c>strftime_now</c>. Variables the caller passes
/// shadow them.</summary>
static class BuiltinGlobals
{
    /// <summary>Jinja's sandbox refuses larger ranges (MAX_RANGE); so do we, to bound memory.</summary>
    const long MaxRange = 100_000;

    static readonly Dictionary<string, TemplateValue> Functions = new(StringComparer.Ordinal)
    {
        ["range"] = new FunctionValue("range", Range),
        ["namespace"] = new FunctionValue("namespace", Namespace),
        ["dict"] = new FunctionValue("dict", Dict),
        ["raise_exception"] = new FunctionValue("raise_exception", RaiseException),
        ["strftime_now"] = new FunctionValue("strftime_now", StrftimeNow),
    };

    public static TemplateValue? TryGet(string name) => Functions.GetValueOrDefault(name);

    static TemplateValue Range(CallArguments arguments, RenderState state)
    {
        if (arguments.Named.Length > 0) throw new TemplateException("range() takes no keyword arguments");
        var values = arguments.Positional;
        if (values.Length is 0 or > 3) throw new TemplateException($"range expected 1 to 3 arguments, got {values.Length}");
        var numbers = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
            if (!Operators.TryGetInteger(values[i], out numbers[i]))
                throw new TemplateException($"'{values[i].TypeName}' object cannot be interpreted as an integer");
        long start = values.Length == 1 ? 0 : numbers[0];
        long stop = values.Length == 1 ? numbers[0] : numbers[1];
        long step = values.Length == 3 ? numbers[2] : 1;
        if (step == 0) throw new TemplateException("range() arg 3 must not be zero");
        long count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        if (count <= 0) return new ListValue([]);
        if (count > MaxRange) throw new TemplateException($"range too big: at most {MaxRange} items are allowed");
        var items = new TemplateValue[count];
        for (long i = 0; i < count; i++) items[i] = IntegerValue.Of(start + i * step);
        return new ListValue(items);
    }

    /// <summary><c>namespace(a=1)</c> or <c>namespace(dict_value, a=1)</c>.</summary>
    static TemplateValue Namespace(CallArguments arguments, RenderState state)
    {
        var ns = new NamespaceValue();
        if (arguments.Positional.Length > 1) throw new TemplateException("namespace() takes at most one positional argument");
        if (arguments.Positional.Length == 1)
        {
            if (arguments.Positional[0] is not DictValue initial)
                throw new TemplateException("namespace() takes a dict as its positional argument");
            foreach (var (key, value) in initial.Entries) ns.SetAttribute(key.ToStr(), value);
        }
        foreach (var (name, value) in arguments.Named) ns.SetAttribute(name, value);
        return ns;
    }

    static TemplateValue Dict(CallArguments arguments, RenderState state)
    {
        var dict = new DictValue();
        if (arguments.Positional.Length > 1) throw new TemplateException("dict expected at most 1 argument");
        if (arguments.Positional.Length == 1)
        {
            var source = arguments.Positional[0];
            if (source is DictValue other)
                foreach (var (key, value) in other.Entries) dict.Set(key, value);
            else
                foreach (var pair in source.Iterate())
                {
                    var items = pair.Iterate();
                    if (items.Count != 2) throw new TemplateException("dictionary update sequence element has the wrong length; 2 is required");
                    dict.Set(items[0], items[1]);
                }
        }
        foreach (var (name, value) in arguments.Named) dict.Set(name, value);
        return dict;
    }

    static TemplateValue RaiseException(CallArguments arguments, RenderState state)
    {
        var message = arguments.Bind("raise_exception", "message")[0]
            ?? throw new TemplateException("raise_exception() missing 1 required positional argument: 'message'");
        throw new TemplateException(TemplateErrorKind.Raised, message.ToStr(), 0);
    }

    static TemplateValue StrftimeNow(CallArguments arguments, RenderState state)
    {
        var format = arguments.Bind("strftime_now", "format")[0] as StringValue
            ?? throw new TemplateException("strftime_now() needs a format string");
        return StringValue.Of(PythonStrftime.Format(state.Clock().DateTime, format.Value));
    }
}
