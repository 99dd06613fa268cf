using System.Text;

namespace Specula.Templates;

/// <summary>The object <c>namespace(...)</c> returns: the one value a template may change from inside a
/// loop (<c>{% set ns.found = true %}</c>), which is how templates carry state out of loop scopes.</summary>
public sealed class NamespaceValue : TemplateValue
{
    readonly OrderedDictionary<string, TemplateValue> attributes = new(StringComparer.Ordinal);

    public override string TypeName => "Namespace";
    public override bool IsTruthy => true;

    public void SetAttribute(string name, TemplateValue value) => attributes[name] = value;

    public override string ToStr()
    {
        var text = new StringBuilder("<Namespace {");
        bool first = true;
        foreach (var (name, value) in attributes)
        {
            if (!first) text.Append(", ");
            first = false;
            text.Append(PythonRepr.QuoteString(name)).Append(": ").Append(value.ToRepr());
        }
        return text.Append("}>").ToString();
    }

    internal override TemplateValue GetAttribute(string name) =>
        attributes.TryGetValue(name, out var value) ? value : UndefinedValue.MissingAttribute(this, name);

    internal override TemplateValue GetItem(TemplateValue key) =>
        key is StringValue s ? GetAttribute(s.Value) : UndefinedValue.MissingItem(this, key);
}
