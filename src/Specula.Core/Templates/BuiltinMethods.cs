using System.Text;

namespace Specula.Templates;

/// <summary>The Python methods templates call on values: <c>str</c> (<c>strip</c>, <c>split</c>,
/// <c>startswith</c>, <c>format</c>, ...), <c>dict</c> (<c>items</c>, <c>keys</c>, <c>values</c>,
/// <c>get</c>) and <c>list</c> (<c>index</c>, <c>count</c>). Methods that would change a value exist but
/// fail when called, as in transformers' immutable sandbox.</summary>
static class BuiltinMethods
{
    delegate TemplateValue Method(TemplateValue self, CallArguments arguments);

    static readonly Dictionary<string, Method> StringMethods = new(StringComparer.Ordinal)
    {
        ["strip"] = (s, a) => Strip(s, a, "strip", true, true),
        ["lstrip"] = (s, a) => Strip(s, a, "lstrip", true, false),
        ["rstrip"] = (s, a) => Strip(s, a, "rstrip", false, true),
        ["split"] = (s, a) => Split(s, a, "split", right: false),
        ["rsplit"] = (s, a) => Split(s, a, "rsplit", right: true),
        ["splitlines"] = (s, a) => { a.Bind("splitlines"); return Strings(PythonString.SplitLines(Text(s))); },
        ["startswith"] = (s, a) => Affix(s, a, "startswith", atStart: true),
        ["endswith"] = (s, a) => Affix(s, a, "endswith", atStart: false),
        ["upper"] = (s, a) => { a.ExpectNone("upper"); return StringValue.Of(Text(s).ToUpperInvariant()); },
        ["lower"] = (s, a) => { a.ExpectNone("lower"); return StringValue.Of(Text(s).ToLowerInvariant()); },
        ["title"] = (s, a) => { a.ExpectNone("title"); return StringValue.Of(PythonString.Title(Text(s))); },
        ["capitalize"] = (s, a) => { a.ExpectNone("capitalize"); return StringValue.Of(PythonString.Capitalize(Text(s))); },
        ["swapcase"] = (s, a) => { a.ExpectNone("swapcase"); return StringValue.Of(SwapCase(Text(s))); },
        ["replace"] = Replace,
        ["find"] = (s, a) => Find(s, a, "find", fromRight: false, mustExist: false),
        ["rfind"] = (s, a) => Find(s, a, "rfind", fromRight: true, mustExist: false),
        ["index"] = (s, a) => Find(s, a, "index", fromRight: false, mustExist: true),
        ["rindex"] = (s, a) => Find(s, a, "rindex", fromRight: true, mustExist: true),
        ["count"] = (s, a) => IntegerValue.Of(PythonString.Count(Text(s), RequiredString(a.Bind("count", "sub")[0], "count"))),
        ["join"] = (s, a) => StringValue.Of(string.Join(Text(s), Required(a.Bind("join", "iterable")[0], "join").Iterate().Select(ItemText))),
        ["format"] = (s, a) => StringValue.Of(StringFormat.Apply(Text(s), a)),
        ["center"] = (s, a) => Justify(s, a, "center"),
        ["ljust"] = (s, a) => Justify(s, a, "ljust"),
        ["rjust"] = (s, a) => Justify(s, a, "rjust"),
        ["zfill"] = ZeroFill,
        ["removeprefix"] = (s, a) =>
        {
            var prefix = RequiredString(a.Bind("removeprefix", "prefix")[0], "removeprefix");
            return Text(s).StartsWith(prefix, StringComparison.Ordinal) ? StringValue.Of(Text(s)[prefix.Length..]) : s;
        },
        ["removesuffix"] = (s, a) =>
        {
            var suffix = RequiredString(a.Bind("removesuffix", "suffix")[0], "removesuffix");
            return suffix.Length > 0 && Text(s).EndsWith(suffix, StringComparison.Ordinal) ? StringValue.Of(Text(s)[..^suffix.Length]) : s;
        },
        ["isdigit"] = (s, a) => Classify(s, a, "isdigit", Rune.IsDigit),
        ["isdecimal"] = (s, a) => Classify(s, a, "isdecimal", Rune.IsDigit),
        ["isnumeric"] = (s, a) => Classify(s, a, "isnumeric", Rune.IsNumber),
        ["isalpha"] = (s, a) => Classify(s, a, "isalpha", Rune.IsLetter),
        ["isalnum"] = (s, a) => Classify(s, a, "isalnum", Rune.IsLetterOrDigit),
        ["isspace"] = (s, a) => Classify(s, a, "isspace", r => r.IsBmp && PythonString.IsSpace((char)r.Value)),
        ["islower"] = (s, a) => { a.ExpectNone("islower"); return TemplateValue.From(IsLower(Text(s))); },
        ["isupper"] = (s, a) => { a.ExpectNone("isupper"); return TemplateValue.From(IsUpper(Text(s))); },
    };

    static readonly Dictionary<string, Method> DictMethods = new(StringComparer.Ordinal)
    {
        ["items"] = (d, a) => { a.ExpectNone("items"); return Items((DictValue)d); },
        ["keys"] = (d, a) => { a.ExpectNone("keys"); return new ListValue(d.Iterate()); },
        ["values"] = (d, a) => { a.ExpectNone("values"); return new ListValue(((DictValue)d).Entries.Values.ToArray()); },
        ["get"] = (d, a) =>
        {
            var bound = a.Bind("get", "key", "default");
            var key = Required(bound[0], "get");
            return ((DictValue)d).TryGet(key, out var value) ? value : bound[1] ?? TemplateValue.None;
        },
        ["copy"] = (d, a) =>
        {
            a.ExpectNone("copy");
            var copy = new DictValue(((DictValue)d).Count);
            foreach (var (key, value) in ((DictValue)d).Entries) copy.Set(key, value);
            return copy;
        },
        ["pop"] = Unsafe("pop"), ["popitem"] = Unsafe("popitem"), ["update"] = Unsafe("update"),
        ["setdefault"] = Unsafe("setdefault"), ["clear"] = Unsafe("clear"),
    };

    static readonly Dictionary<string, Method> ListMethods = new(StringComparer.Ordinal)
    {
        ["index"] = (l, a) =>
        {
            var item = Required(a.Bind("index", "value")[0], "index");
            var items = ((ListValue)l).Items;
            for (int i = 0; i < items.Count; i++)
                if (Operators.AreEqual(items[i], item)) return IntegerValue.Of(i);
            throw new TemplateException($"{item.ToRepr()} is not in list");
        },
        ["count"] = (l, a) =>
        {
            var item = Required(a.Bind("count", "value")[0], "count");
            return IntegerValue.Of(((ListValue)l).Items.Count(x => Operators.AreEqual(x, item)));
        },
        ["append"] = Unsafe("append"), ["extend"] = Unsafe("extend"), ["insert"] = Unsafe("insert"), ["pop"] = Unsafe("pop"),
        ["remove"] = Unsafe("remove"), ["sort"] = Unsafe("sort"), ["reverse"] = Unsafe("reverse"), ["clear"] = Unsafe("clear"),
    };

    static Dictionary<string, Method>? MethodsOf(TemplateValue value) => value switch
    {
        StringValue => StringMethods,
        DictValue => DictMethods,
        ListValue => ListMethods,
        _ => null,
    };

    /// <summary>The method <paramref name="name"/> bound to <paramref name="receiver"/>, or null.</summary>
    public static TemplateValue? TryBind(TemplateValue receiver, string name)
    {
        var methods = MethodsOf(receiver);
        if (methods == null || !methods.TryGetValue(name, out var method)) return null;
        return new FunctionValue(name, (arguments, _) => method(receiver, arguments), $"<built-in method {name} of {receiver.TypeName} object>");
    }

    /// <summary>Calls <c>receiver.name(arguments)</c> if it is a built-in method.</summary>
    public static bool TryCall(TemplateValue receiver, string name, CallArguments arguments, RenderState state, out TemplateValue result)
    {
        var methods = MethodsOf(receiver);
        if (methods == null || !methods.TryGetValue(name, out var method))
        {
            result = TemplateValue.Undefined;
            return false;
        }
        result = method(receiver, arguments);
        return true;
    }

    static Method Unsafe(string name) => (self, _) =>
        throw new TemplateException($"access to attribute '{name}' of '{self.TypeName}' object is unsafe: templates cannot modify values");

    static string Text(TemplateValue value) => ((StringValue)value).Value;

    /// <summary><c>str.join</c> and the <c>join</c> filter accept only strings in Python; Jinja's filter
    /// converts, which is what templates expect, so both convert here.</summary>
    static string ItemText(TemplateValue item) => item.ToStr();

    static TemplateValue Required(TemplateValue? value, string function) =>
        value ?? throw new TemplateException($"{function}() is missing a required argument");

    static string RequiredString(TemplateValue? value, string function) => Required(value, function) switch
    {
        StringValue s => s.Value,
        var other => throw new TemplateException($"{function}() argument must be str, not {other.TypeName}"),
    };

    static string? OptionalString(TemplateValue? value, string function) => value switch
    {
        null or NoneValue => null,
        StringValue s => s.Value,
        _ => throw new TemplateException($"{function}() argument must be str or None, not {value.TypeName}"),
    };

    static long OptionalInteger(TemplateValue? value, string function, long fallback)
    {
        if (value == null || value is NoneValue) return fallback;
        return Operators.TryGetInteger(value, out var result)
            ? result
            : throw new TemplateException($"{function}() argument must be an integer, not {value.TypeName}");
    }

    internal static ListValue Strings(IEnumerable<string> pieces) =>
        new(pieces.Select(piece => (TemplateValue)StringValue.Of(piece)).ToArray());

    internal static ListValue Items(DictValue dict)
    {
        var pairs = new TemplateValue[dict.Count];
        int i = 0;
        foreach (var (key, value) in dict.Entries) pairs[i++] = new ListValue([key, value], isTuple: true);
        return new ListValue(pairs);
    }

    static TemplateValue Strip(TemplateValue self, CallArguments arguments, string name, bool left, bool right)
    {
        var characters = OptionalString(arguments.Bind(name, "chars")[0], name);
        return StringValue.Of(PythonString.Strip(Text(self), characters, left, right));
    }

    static TemplateValue Split(TemplateValue self, CallArguments arguments, string name, bool right)
    {
        var bound = arguments.Bind(name, "sep", "maxsplit");
        var separator = OptionalString(bound[0], name);
        long maxSplit = OptionalInteger(bound[1], name, -1);
        return Strings(right ? PythonString.RightSplit(Text(self), separator, maxSplit) : PythonString.Split(Text(self), separator, maxSplit));
    }

    /// <summary><c>startswith</c>/<c>endswith</c> with a string or a tuple of strings and optional
    /// start/end positions.</summary>
    static TemplateValue Affix(TemplateValue self, CallArguments arguments, string name, bool atStart)
    {
        var bound = arguments.Bind(name, "prefix", "start", "end");
        var text = Text(self);
        if (bound[1] != null || bound[2] != null)
            text = PythonString.Slice(text, OptionalInteger(bound[1], name, 0), bound[2] is null or NoneValue ? null : OptionalInteger(bound[2], name, 0), 1);
        var affixes = Required(bound[0], name) switch
        {
            StringValue s => [s],
            ListValue { IsTuple: true } tuple => tuple.Items,
            var other => throw new TemplateException($"{name} first arg must be str or a tuple of str, not {other.TypeName}"),
        };
        foreach (var affix in affixes)
        {
            var value = affix as StringValue ?? throw new TemplateException($"tuple for {name} must only contain str, not {affix.TypeName}");
            if (atStart ? text.StartsWith(value.Value, StringComparison.Ordinal) : text.EndsWith(value.Value, StringComparison.Ordinal))
                return TemplateValue.True;
        }
        return TemplateValue.False;
    }

    static TemplateValue Replace(TemplateValue self, CallArguments arguments)
    {
        var bound = arguments.Bind("replace", "old", "new", "count");
        return StringValue.Of(PythonString.Replace(Text(self), RequiredString(bound[0], "replace"), RequiredString(bound[1], "replace"),
            OptionalInteger(bound[2], "replace", -1)));
    }

    static TemplateValue Find(TemplateValue self, CallArguments arguments, string name, bool fromRight, bool mustExist)
    {
        var bound = arguments.Bind(name, "sub", "start", "end");
        var part = RequiredString(bound[0], name);
        var points = PythonString.CodePoints(Text(self));
        var (start, count) = Slicing.Range(points.Length, OptionalInteger(bound[1], name, 0),
            bound[2] is null or NoneValue ? null : OptionalInteger(bound[2], name, 0));
        var window = string.Concat(points.AsSpan(start, count).ToArray());
        int at = fromRight ? window.LastIndexOf(part, StringComparison.Ordinal) : window.IndexOf(part, StringComparison.Ordinal);
        if (at < 0)
        {
            if (mustExist) throw new TemplateException("substring not found");
            return IntegerValue.Of(-1);
        }
        return IntegerValue.Of(start + PythonString.Length(window[..at]));
    }

    static TemplateValue Justify(TemplateValue self, CallArguments arguments, string name)
    {
        var bound = arguments.Bind(name, "width", "fillchar");
        long width = OptionalInteger(Required(bound[0], name), name, 0);
        var fill = OptionalString(bound[1], name) ?? " ";
        if (PythonString.Length(fill) != 1) throw new TemplateException("The fill character must be exactly one character long");
        var text = Text(self);
        if (name == "center") return StringValue.Of(PythonString.Center(text, width, fill));
        long padding = width - PythonString.Length(text);
        if (padding <= 0) return self;
        if (padding > 1_000_000) throw new TemplateException($"{name} width is too large");
        var pad = new StringBuilder().Insert(0, fill, (int)padding).ToString();
        return StringValue.Of(name == "ljust" ? text + pad : pad + text);
    }

    static TemplateValue ZeroFill(TemplateValue self, CallArguments arguments)
    {
        long width = OptionalInteger(Required(arguments.Bind("zfill", "width")[0], "zfill"), "zfill", 0);
        var text = Text(self);
        long padding = width - PythonString.Length(text);
        if (padding <= 0) return self;
        if (padding > 1_000_000) throw new TemplateException("zfill width is too large");
        int signLength = text.Length > 0 && text[0] is '+' or '-' ? 1 : 0;
        return StringValue.Of(text[..signLength] + new string('0', (int)padding) + text[signLength..]);
    }

    static TemplateValue Classify(TemplateValue self, CallArguments arguments, string name, Func<Rune, bool> predicate)
    {
        arguments.ExpectNone(name);
        var text = Text(self);
        if (text.Length == 0) return TemplateValue.False;
        foreach (var rune in text.EnumerateRunes())
            if (!predicate(rune)) return TemplateValue.False;
        return TemplateValue.True;
    }

    static bool IsCased(Rune r) => Rune.IsUpper(r) || Rune.IsLower(r);

    internal static bool IsLower(string text)
    {
        bool anyCased = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsUpper(rune)) return false;
            anyCased |= Rune.IsLower(rune);
        }
        return anyCased;
    }

    internal static bool IsUpper(string text)
    {
        bool anyCased = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLower(rune)) return false;
            anyCased |= Rune.IsUpper(rune);
        }
        return anyCased;
    }

    static string SwapCase(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
            result.Append((Rune.IsUpper(rune) ? Rune.ToLowerInvariant(rune) : IsCased(rune) ? Rune.ToUpperInvariant(rune) : rune).ToString());
        return result.ToString();
    }
}
