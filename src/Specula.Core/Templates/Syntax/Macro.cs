namespace Specula.Templates;

/// <summary>A parsed <c>{% macro %}</c> (or the body of a <c>{% call %}</c> block): parameters with
/// optional defaults, the body, and whether the body reads <c>varargs</c>/<c>kwargs</c>, which is what lets
/// it accept extra arguments, as in Jinja.</summary>
sealed class MacroDefinition(string name, string[] parameters, Expression?[] defaults, Statement[] body, bool catchesVarargs,
    bool catchesKwargs)
{
    public string Name { get; } = name;
    public string[] Parameters { get; } = parameters;
    public Expression?[] Defaults { get; } = defaults;
    public Statement[] Body { get; } = body;
    public bool CatchesVarargs { get; } = catchesVarargs;
    public bool CatchesKwargs { get; } = catchesKwargs;
}

/// <summary>A macro bound to the scope it was defined in; calling it renders the body and returns the
/// text.</summary>
sealed class MacroValue(MacroDefinition definition, Scope closure) : TemplateValue
{
    public override string TypeName => "Macro";
    public override bool IsTruthy => true;
    public override bool IsCallable => true;
    public override string ToStr() => $"<Macro '{definition.Name}'>";

    internal override TemplateValue Call(CallArguments arguments, RenderState state)
    {
        var parameters = definition.Parameters;
        var scope = new Scope(closure);
        var bound = new TemplateValue?[parameters.Length];
        var positional = arguments.Positional;
        if (positional.Length > parameters.Length && !definition.CatchesVarargs)
            throw new TemplateException($"macro '{definition.Name}' takes not more than {parameters.Length} argument(s)");
        for (int i = 0; i < Math.Min(positional.Length, parameters.Length); i++) bound[i] = positional[i];

        var extraPositional = new List<TemplateValue>();
        for (int i = parameters.Length; i < positional.Length; i++) extraPositional.Add(positional[i]);
        var extraNamed = new DictValue();
        foreach (var (name, value) in arguments.Named)
        {
            int index = Array.IndexOf(parameters, name);
            if (index >= 0)
            {
                if (bound[index] != null)
                    throw new TemplateException($"macro '{definition.Name}' got multiple values for argument '{name}'");
                bound[index] = value;
            }
            else if (name == "caller") scope.Set("caller", value);
            else if (definition.CatchesKwargs) extraNamed.Set(name, value);
            else throw new TemplateException($"macro '{definition.Name}' takes no keyword argument '{name}'");
        }
        scope.Set("varargs", new ListValue(extraPositional.ToArray(), isTuple: true));
        scope.Set("kwargs", extraNamed);

        // Defaults are evaluated at call time inside the macro's scope, so they can use earlier parameters.
        var saved = state.Scope;
        state.Scope = scope;
        try
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                var value = bound[i] ?? definition.Defaults[i]?.Evaluate(state)
                    ?? UndefinedValue.WithHint($"parameter '{parameters[i]}' was not provided");
                scope.Set(parameters[i], value);
            }
        }
        finally
        {
            state.Scope = saved;
        }
        return StringValue.Of(state.Capture(scope, s => Statement.ExecuteAll(definition.Body, s)));
    }
}
