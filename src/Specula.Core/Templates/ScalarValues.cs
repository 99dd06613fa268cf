using System.Globalization;

namespace Specula.Templates;

public sealed class StringValue : TemplateValue
{
    public static readonly StringValue Empty = new("");

    public StringValue(string value) => Value = value;

    public static StringValue Of(string value) => value.Length == 0 ? Empty : new StringValue(value);

    public string Value { get; }
    public override string TypeName => "str";
    public override bool IsTruthy => Value.Length != 0;
    public override string ToStr() => Value;
    public override string ToRepr() => PythonRepr.QuoteString(Value);

    internal override TemplateValue GetItem(TemplateValue key)
    {
        if (key is StringValue name) return GetAttribute(name.Value);
        if (!Operators.TryGetIndex(key, out var index))
            throw new TemplateException($"string indices must be integers, not '{key.TypeName}'");
        var codePoint = PythonString.CodePointAt(Value, index);
        return codePoint is null ? UndefinedValue.MissingItem(this, key) : Of(codePoint);
    }

    internal override IReadOnlyList<TemplateValue> Iterate()
    {
        var characters = PythonString.CodePoints(Value);
        var items = new TemplateValue[characters.Length];
        for (int i = 0; i < items.Length; i++) items[i] = Of(characters[i]);
        return items;
    }
}

/// <summary>A Python int (64-bit here; arithmetic that overflows is an error rather than wrong).</summary>
public sealed class IntegerValue : TemplateValue
{
    static readonly IntegerValue[] Small = CreateSmall();

    IntegerValue(long value) => Value = value;

    public static IntegerValue Of(long value) =>
        (ulong)(value + 16) < (ulong)Small.Length ? Small[value + 16] : new IntegerValue(value);

    public long Value { get; }
    public override string TypeName => "int";
    public override bool IsTruthy => Value != 0;
    public override string ToStr() => Value.ToString(CultureInfo.InvariantCulture);

    static IntegerValue[] CreateSmall()
    {
        var values = new IntegerValue[16 + 1024];
        for (int i = 0; i < values.Length; i++) values[i] = new IntegerValue(i - 16);
        return values;
    }
}

public sealed class FloatValue(double value) : TemplateValue
{
    public double Value { get; } = value;
    public override string TypeName => "float";
    public override bool IsTruthy => Value != 0;
    public override string ToStr() => PythonRepr.Float(Value);
}

/// <summary>Python's <c>True</c>/<c>False</c>; like Python's bool it also counts as the integer 1/0.</summary>
public sealed class BooleanValue : TemplateValue
{
    public static new readonly BooleanValue True = new(true);
    public static new readonly BooleanValue False = new(false);

    BooleanValue(bool value) => Value = value;

    public bool Value { get; }
    public override string TypeName => "bool";
    public override bool IsTruthy => Value;
    public override string ToStr() => Value ? "True" : "False";
}

public sealed class NoneValue : TemplateValue
{
    public static readonly NoneValue Instance = new();

    NoneValue() { }

    public override string TypeName => "NoneType";
    public override bool IsTruthy => false;
    public override string ToStr() => "None";
}

/// <summary>Jinja's default <c>Undefined</c>: prints as nothing, is false, iterates as empty, and fails
/// with a message saying what was missing when used as a value (attribute access, arithmetic, calls).</summary>
public sealed class UndefinedValue : TemplateValue
{
    internal static readonly UndefinedValue Plain = new("value is undefined");

    UndefinedValue(string hint) => Hint = hint;

    /// <summary>Why the value is undefined, used as the error message when it is misused.</summary>
    public string Hint { get; }

    internal static UndefinedValue Named(string name) => new($"'{name}' is undefined");

    internal static UndefinedValue WithHint(string hint) => new(hint);

    internal static UndefinedValue MissingAttribute(TemplateValue owner, string name) =>
        new($"{DescribeOwner(owner)} has no attribute '{name}'");

    internal static UndefinedValue MissingItem(TemplateValue owner, TemplateValue key) =>
        key is StringValue s
            ? new($"{DescribeOwner(owner)} has no attribute '{s.Value}'")
            : new($"{DescribeOwner(owner)} has no element {key.ToRepr()}");

    /// <summary>Jinja's <c>object_type_repr</c>: <c>'dict object'</c>, but <c>None</c> for None.</summary>
    static string DescribeOwner(TemplateValue owner) => owner switch
    {
        NoneValue => "None",
        UndefinedValue => "undefined value",
        _ => $"'{owner.TypeName} object'",
    };

    public override string TypeName => "Undefined";
    public override bool IsTruthy => false;
    public override bool IsDefined => false;
    public override string ToStr() => "";
    public override string ToRepr() => "Undefined";

    internal TemplateException Fail() => new(Hint);

    internal override TemplateValue GetAttribute(string name) => throw Fail();
    internal override TemplateValue GetItem(TemplateValue key) => throw Fail();
    internal override IReadOnlyList<TemplateValue> Iterate() => [];
    internal override TemplateValue Call(CallArguments arguments, RenderState state) => throw Fail();
}
