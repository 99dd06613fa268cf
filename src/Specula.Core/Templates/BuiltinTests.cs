namespace Specula.Templates;

/// <summary>Jinja's tests (<c>x is defined</c>, <c>x is string</c>, <c>x is divisibleby 3</c>, ...), with
/// Python's type rules: bool counts as a number but not an integer, undefined is iterable.</summary>
static class BuiltinTests
{
    public delegate bool Test(TemplateValue value, CallArguments arguments, RenderState state);

    static readonly Dictionary<string, Test> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, a, _) => NoArguments(a, "defined", v.IsDefined),
        ["undefined"] = (v, a, _) => NoArguments(a, "undefined", !v.IsDefined),
        ["none"] = (v, a, _) => NoArguments(a, "none", v is NoneValue),
        ["boolean"] = (v, a, _) => NoArguments(a, "boolean", v is BooleanValue),
        ["true"] = (v, a, _) => NoArguments(a, "true", v is BooleanValue { Value: true }),
        ["false"] = (v, a, _) => NoArguments(a, "false", v is BooleanValue { Value: false }),
        ["string"] = (v, a, _) => NoArguments(a, "string", v is StringValue),
        ["number"] = (v, a, _) => NoArguments(a, "number", Operators.IsNumber(v)),
        ["integer"] = (v, a, _) => NoArguments(a, "integer", v is IntegerValue),
        ["float"] = (v, a, _) => NoArguments(a, "float", v is FloatValue),
        ["mapping"] = (v, a, _) => NoArguments(a, "mapping", v is DictValue),
        ["iterable"] = (v, a, _) => NoArguments(a, "iterable", v is StringValue or ListValue or DictValue or UndefinedValue),
        ["sequence"] = (v, a, _) => NoArguments(a, "sequence", v is StringValue or ListValue or DictValue or UndefinedValue),
        ["callable"] = (v, a, _) => NoArguments(a, "callable", v.IsCallable),
        ["escaped"] = (v, a, _) => NoArguments(a, "escaped", false),
        ["lower"] = (v, a, _) => NoArguments(a, "lower", BuiltinMethods.IsLower(v.ToStr())),
        ["upper"] = (v, a, _) => NoArguments(a, "upper", BuiltinMethods.IsUpper(v.ToStr())),
        ["odd"] = (v, a, _) => NoArguments(a, "odd", Operators.Modulo(v, IntegerValue.Of(2)).IsTruthy),
        ["even"] = (v, a, _) => NoArguments(a, "even", !Operators.Modulo(v, IntegerValue.Of(2)).IsTruthy),
        ["divisibleby"] = (v, a, _) => !Operators.Modulo(v, Argument(a, "divisibleby", "num")).IsTruthy,
        ["eq"] = Equal, ["equalto"] = Equal, ["=="] = Equal,
        ["ne"] = (v, a, s) => !Equal(v, a, s), ["!="] = (v, a, s) => !Equal(v, a, s),
        ["lt"] = (v, a, _) => Operators.Ordered("<", v, Argument(a, "lt", "other")),
        ["lessthan"] = (v, a, _) => Operators.Ordered("<", v, Argument(a, "lessthan", "other")),
        ["<"] = (v, a, _) => Operators.Ordered("<", v, Argument(a, "<", "other")),
        ["le"] = (v, a, _) => Operators.Ordered("<=", v, Argument(a, "le", "other")),
        ["<="] = (v, a, _) => Operators.Ordered("<=", v, Argument(a, "<=", "other")),
        ["gt"] = (v, a, _) => Operators.Ordered(">", v, Argument(a, "gt", "other")),
        ["greaterthan"] = (v, a, _) => Operators.Ordered(">", v, Argument(a, "greaterthan", "other")),
        [">"] = (v, a, _) => Operators.Ordered(">", v, Argument(a, ">", "other")),
        ["ge"] = (v, a, _) => Operators.Ordered(">=", v, Argument(a, "ge", "other")),
        [">="] = (v, a, _) => Operators.Ordered(">=", v, Argument(a, ">=", "other")),
        ["in"] = (v, a, _) => Operators.Contains(Argument(a, "in", "seq"), v),
        ["sameas"] = (v, a, _) => SameAs(v, Argument(a, "sameas", "other")),
        ["filter"] = (v, a, _) => NoArguments(a, "filter", v is StringValue s && BuiltinFilters.Find(s.Value) != null),
        ["test"] = (v, a, _) => NoArguments(a, "test", v is StringValue s && Tests!.ContainsKey(s.Value)),
    };

    public static Test? Find(string name) => Tests.GetValueOrDefault(name);

    static bool NoArguments(CallArguments arguments, string name, bool result)
    {
        arguments.ExpectNone(name);
        return result;
    }

    static TemplateValue Argument(CallArguments arguments, string test, string parameter) =>
        arguments.Bind(test, parameter)[0] ?? throw new TemplateException($"test '{test}' needs an argument");

    static bool Equal(TemplateValue value, CallArguments arguments, RenderState state) =>
        Operators.AreEqual(value, Argument(arguments, "eq", "other"));

    /// <summary>Python's <c>is</c>: identity, which for None, booleans and (cached) small ints is value
    /// equality.</summary>
    static bool SameAs(TemplateValue value, TemplateValue other) => ReferenceEquals(value, other) || (value, other) switch
    {
        (NoneValue, NoneValue) => true,
        (BooleanValue a, BooleanValue b) => a.Value == b.Value,
        (IntegerValue a, IntegerValue b) => a.Value == b.Value && a.Value is >= -5 and <= 256,
        _ => false,
    };
}
