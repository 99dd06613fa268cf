using System.Text;

namespace Specula.Templates;

/// <summary>A Python list, or a tuple when <see cref="IsTuple"/> (they print and compare differently).</summary>
public sealed class ListValue : TemplateValue
{
    public static readonly ListValue EmptyList = new([], isTuple: false);

    public ListValue(IReadOnlyList<TemplateValue> items, bool isTuple = false)
    {
        Items = items;
        IsTuple = isTuple;
    }

    public IReadOnlyList<TemplateValue> Items { get; }
    public bool IsTuple { get; }
    public int Count => Items.Count;

    public override string TypeName => IsTuple ? "tuple" : "list";
    public override bool IsTruthy => Items.Count != 0;
    public override string ToStr() => ToRepr();

    public override string ToRepr()
    {
        using var guard = NestingGuard.Enter();
        var text = new StringBuilder();
        text.Append(IsTuple ? '(' : '[');
        for (int i = 0; i < Items.Count; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(Items[i].ToRepr());
        }
        if (IsTuple && Items.Count == 1) text.Append(',');
        text.Append(IsTuple ? ')' : ']');
        return text.ToString();
    }

    internal override TemplateValue GetItem(TemplateValue key)
    {
        if (key is StringValue name) return GetAttribute(name.Value);
        if (!Operators.TryGetIndex(key, out var index))
            throw new TemplateException($"{TypeName} indices must be integers or slices, not {key.TypeName}");
        if (index < 0) index += Items.Count;
        return (ulong)index < (ulong)Items.Count ? Items[(int)index] : UndefinedValue.MissingItem(this, key);
    }

    internal override IReadOnlyList<TemplateValue> Iterate() => Items;
}
