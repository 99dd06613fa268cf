using System.Text;

namespace Specula.Templates;

/// <summary>A Python dict: keys compare as Python compares them (<c>1 == 1.0 == True</c>) and iteration
/// follows insertion order, which <c>tojson</c> and <c>items()</c> rely on.</summary>
public sealed class DictValue : TemplateValue
{
    public DictValue() => Entries = new OrderedDictionary<TemplateValue, TemplateValue>(PythonKeyComparer.Instance);

    public DictValue(int capacity) =>
        Entries = new OrderedDictionary<TemplateValue, TemplateValue>(capacity, PythonKeyComparer.Instance);

    /// <summary>The entries, in insertion order. Mutate only while building the value.</summary>
    public OrderedDictionary<TemplateValue, TemplateValue> Entries { get; }

    public int Count => Entries.Count;

    /// <summary>Adds or replaces a key while building the dict.</summary>
    public void Set(string key, TemplateValue value) => Entries[StringValue.Of(key)] = value;

    public void Set(TemplateValue key, TemplateValue value)
    {
        PythonKeyComparer.EnsureHashable(key);
        Entries[key] = value;
    }

    public bool TryGet(TemplateValue key, out TemplateValue value)
    {
        if (key is ListValue { IsTuple: false } or DictValue)
        {
            value = Undefined;
            return false;
        }
        return Entries.TryGetValue(key, out value!);
    }

    public override string TypeName => "dict";
    public override bool IsTruthy => Entries.Count != 0;
    public override string ToStr() => ToRepr();

    public override string ToRepr()
    {
        using var guard = NestingGuard.Enter();
        var text = new StringBuilder();
        text.Append('{');
        bool first = true;
        foreach (var (key, value) in Entries)
        {
            if (!first) text.Append(", ");
            first = false;
            text.Append(key.ToRepr()).Append(": ").Append(value.ToRepr());
        }
        return text.Append('}').ToString();
    }

    /// <summary>Methods (<c>items</c>, <c>get</c>, ...) win over keys, as Python's getattr comes first.</summary>
    internal override TemplateValue GetAttribute(string name)
    {
        var method = BuiltinMethods.TryBind(this, name);
        if (method != null) return method;
        return Entries.TryGetValue(StringValue.Of(name), out var value) ? value : UndefinedValue.MissingAttribute(this, name);
    }

    internal override TemplateValue GetItem(TemplateValue key)
    {
        if (TryGet(key, out var value)) return value;
        if (key is StringValue name) return BuiltinMethods.TryBind(this, name.Value) ?? UndefinedValue.MissingItem(this, key);
        return UndefinedValue.MissingItem(this, key);
    }

    internal override IReadOnlyList<TemplateValue> Iterate()
    {
        var keys = new TemplateValue[Entries.Count];
        int i = 0;
        foreach (var key in Entries.Keys) keys[i++] = key;
        return keys;
    }
}

/// <summary>Python's hashing and equality for dict keys: numbers equal across int, float and bool, tuples
/// by content; lists and dicts are unhashable.</summary>
sealed class PythonKeyComparer : IEqualityComparer<TemplateValue>
{
    public static readonly PythonKeyComparer Instance = new();

    public bool Equals(TemplateValue? x, TemplateValue? y) => x != null && y != null && Operators.AreEqual(x, y);

    public int GetHashCode(TemplateValue value) => value switch
    {
        StringValue s => s.Value.GetHashCode(),
        IntegerValue i => ((double)i.Value).GetHashCode(),
        BooleanValue b => (b.Value ? 1.0 : 0.0).GetHashCode(),
        FloatValue f => f.Value.GetHashCode(),
        ListValue { IsTuple: true } t => HashTuple(t),
        ListValue or DictValue => throw new TemplateException($"unhashable type: '{value.TypeName}'"),
        _ => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(value),
    };

    public static void EnsureHashable(TemplateValue key) => Instance.GetHashCode(key);

    int HashTuple(ListValue tuple)
    {
        using var guard = NestingGuard.Enter();
        var hash = new HashCode();
        foreach (var item in tuple.Items) hash.Add(GetHashCode(item));
        return hash.ToHashCode();
    }
}
