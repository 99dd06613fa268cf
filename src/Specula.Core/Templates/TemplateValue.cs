using System.Text.Json;
using System.Text.Json.Nodes;

namespace Specula.Templates;

/// <summary>A value inside a template, with Python's semantics (Jinja runs on Python objects): strings,
/// integers, floats, booleans, None, undefined, lists/tuples, insertion-ordered dicts, namespaces and
/// callables. Values are immutable from the template's point of view, as in transformers' sandbox.</summary>
public abstract class TemplateValue
{
    public static TemplateValue None => NoneValue.Instance;
    public static TemplateValue True => BooleanValue.True;
    public static TemplateValue False => BooleanValue.False;

    /// <summary>A value that is not defined (what a missing variable evaluates to).</summary>
    public static TemplateValue Undefined => UndefinedValue.Plain;

    public static TemplateValue From(string value) => StringValue.Of(value);
    public static TemplateValue From(long value) => IntegerValue.Of(value);
    public static TemplateValue From(double value) => new FloatValue(value);
    public static TemplateValue From(bool value) => value ? BooleanValue.True : BooleanValue.False;
    public static TemplateValue FromJson(JsonElement json) => JsonConversion.FromElement(json);
    public static TemplateValue FromJson(JsonNode? json) => JsonConversion.FromNode(json);

    /// <summary>Parses JSON text into a value (objects keep their key order).</summary>
    public static TemplateValue ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return JsonConversion.FromElement(document.RootElement);
    }

    /// <summary>Python's type name (<c>str</c>, <c>int</c>, <c>dict</c>, ...), used in error messages.</summary>
    public abstract string TypeName { get; }

    /// <summary>Python truthiness: empty strings and containers, zero, None and undefined are false.</summary>
    public abstract bool IsTruthy { get; }

    /// <summary>Python's <c>str(value)</c>, which is also how <c>{{ value }}</c> prints it (undefined prints
    /// as the empty string).</summary>
    public abstract string ToStr();

    /// <summary>Python's <c>repr(value)</c>, used when a value is printed inside a list or dict.</summary>
    public virtual string ToRepr() => ToStr();

    public override string ToString() => ToStr();

    public virtual bool IsDefined => true;
    public virtual bool IsCallable => false;

    /// <summary><c>value.name</c>: Jinja tries the Python attribute (a method) first, then the item.</summary>
    internal virtual TemplateValue GetAttribute(string name) =>
        BuiltinMethods.TryBind(this, name) ?? UndefinedValue.MissingAttribute(this, name);

    /// <summary><c>value[key]</c>: Jinja tries the item first, then a string key as attribute.</summary>
    internal virtual TemplateValue GetItem(TemplateValue key) =>
        key is StringValue s ? GetAttribute(s.Value) : UndefinedValue.MissingItem(this, key);

    /// <summary>The items a <c>for</c> loop visits; strings give their characters, dicts their keys.</summary>
    internal virtual IReadOnlyList<TemplateValue> Iterate() =>
        throw new TemplateException($"'{TypeName}' object is not iterable");

    internal virtual TemplateValue Call(CallArguments arguments, RenderState state) =>
        throw new TemplateException($"'{TypeName}' object is not callable");
}
