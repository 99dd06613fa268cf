namespace Specula.Templates;

/// <summary>The left side of <c>set</c>, <c>for</c> and <c>with</c>: a name, a tuple of targets to unpack,
/// or a namespace attribute.</summary>
abstract class AssignTarget
{
    public abstract void Assign(RenderState state, TemplateValue value);
}

sealed class NameTarget(string name) : AssignTarget
{
    public string Name { get; } = name;
    public override void Assign(RenderState state, TemplateValue value) => state.Scope.Set(Name, value);
}

/// <summary><c>k, v</c>: unpacks an iterable of exactly that many items.</summary>
sealed class TupleTarget(AssignTarget[] targets) : AssignTarget
{
    public override void Assign(RenderState state, TemplateValue value)
    {
        var items = value.Iterate();
        if (items.Count < targets.Length)
            throw new TemplateException($"not enough values to unpack (expected {targets.Length}, got {items.Count})");
        if (items.Count > targets.Length)
            throw new TemplateException($"too many values to unpack (expected {targets.Length})");
        for (int i = 0; i < targets.Length; i++) targets[i].Assign(state, items[i]);
    }
}

/// <summary><c>ns.attribute</c>, allowed only on a <c>namespace()</c> object.</summary>
sealed class NamespaceTarget(string name, string attribute) : AssignTarget
{
    public override void Assign(RenderState state, TemplateValue value)
    {
        var target = state.Lookup(name);
        if (target is not NamespaceValue ns)
            throw new TemplateException($"cannot assign attribute on non-namespace object '{name}'");
        ns.SetAttribute(attribute, value);
    }
}
