namespace Specula.Templates;

/// <summary>A function implemented in C#: a global such as <c>range</c> or <c>raise_exception</c>, or a
/// method bound to its receiver (<c>content.strip</c>).</summary>
internal sealed class FunctionValue(string name, Func<CallArguments, RenderState, TemplateValue> body, string? description = null) : TemplateValue
{
    public string Name { get; } = name;

    public override string TypeName => "builtin_function_or_method";
    public override bool IsTruthy => true;
    public override bool IsCallable => true;
    public override string ToStr() => description ?? $"<built-in function {Name}>";

    internal override TemplateValue Call(CallArguments arguments, RenderState state) => body(arguments, state);
}
