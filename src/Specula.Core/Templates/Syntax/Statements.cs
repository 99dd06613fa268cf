namespace Specula.Templates;

/// <summary>How a statement finished: normally, or by <c>break</c>/<c>continue</c> (loopcontrols), which
/// the enclosing loop consumes.</summary>
enum Flow { Normal, Break, Continue }

/// <summary>A statement of the template: text, an output <c>{{ }}</c>, or a <c>{% %}</c> tag.</summary>
abstract class Statement(int line)
{
    public int Line { get; } = line;

    public abstract Flow Execute(RenderState state);

    /// <summary>Runs statements in order, stopping at break/continue. An error raised without a line number
    /// gets the line of the statement that was running.</summary>
    public static Flow ExecuteAll(Statement[] body, RenderState state)
    {
        foreach (var statement in body)
        {
            Flow flow;
            try
            {
                flow = statement.Execute(state);
            }
            catch (TemplateException error) when (error.Line == 0)
            {
                throw error.WithLine(statement.Line);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }
}

sealed class TextStatement(int line, string text) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        state.Output.Append(text);
        return Flow.Normal;
    }
}

/// <summary><c>{{ expression }}</c>: prints the value's string form (undefined prints nothing, None prints
/// "None", booleans "True"/"False").</summary>
sealed class OutputStatement(int line, Expression expression) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        var value = expression.Evaluate(state);
        if (value is StringValue s) state.Output.Append(s.Value);
        else state.Output.Append(value.ToStr());
        return Flow.Normal;
    }
}

sealed class IfStatement(int line, Expression[] conditions, Statement[][] branches, Statement[] otherwise) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        for (int i = 0; i < conditions.Length; i++)
            if (conditions[i].Evaluate(state).IsTruthy) return ExecuteAll(branches[i], state);
        return ExecuteAll(otherwise, state);
    }
}

sealed class BreakStatement(int line) : Statement(line)
{
    public override Flow Execute(RenderState state) => Flow.Break;
}

sealed class ContinueStatement(int line) : Statement(line)
{
    public override Flow Execute(RenderState state) => Flow.Continue;
}

/// <summary>transformers' <c>{% generation %}body{% endgeneration %}</c>: prints the body, rendered in a
/// scope of its own (it is a call block in transformers).</summary>
sealed class GenerationStatement(int line, Statement[] body) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        state.Output.Append(state.Capture(new Scope(state.Scope), body));
        return Flow.Normal;
    }
}

/// <summary><c>{% set target = value %}</c>.</summary>
sealed class SetStatement(int line, AssignTarget target, Expression value) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        target.Assign(state, value.Evaluate(state));
        return Flow.Normal;
    }
}

/// <summary><c>{% set name | filters %}body{% endset %}</c>: assigns the rendered body.</summary>
sealed class SetBlockStatement(int line, AssignTarget target, Statement[] body, FilterCall[] filters) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        TemplateValue value = StringValue.Of(state.Capture(new Scope(state.Scope), body));
        foreach (var filter in filters) value = filter.Apply(value, state);
        target.Assign(state, value);
        return Flow.Normal;
    }
}

/// <summary><c>{% filter name %}body{% endfilter %}</c>: prints the body passed through the filters.</summary>
sealed class FilterBlockStatement(int line, FilterCall[] filters, Statement[] body) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        TemplateValue value = StringValue.Of(state.Capture(new Scope(state.Scope), body));
        foreach (var filter in filters) value = filter.Apply(value, state);
        state.Output.Append(value.ToStr());
        return Flow.Normal;
    }
}

/// <summary><c>{% with a = 1 %}body{% endwith %}</c>: the body sees the assignments in a scope of its own.</summary>
sealed class WithStatement(int line, AssignTarget[] targets, Expression[] values, Statement[] body) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        var evaluated = new TemplateValue[values.Length];
        for (int i = 0; i < values.Length; i++) evaluated[i] = values[i].Evaluate(state);
        var saved = state.Scope;
        state.Scope = new Scope(saved);
        try
        {
            for (int i = 0; i < targets.Length; i++) targets[i].Assign(state, evaluated[i]);
            return ExecuteAll(body, state);
        }
        finally
        {
            state.Scope = saved;
        }
    }
}

/// <summary><c>{% macro name(params) %}</c>: binds the macro in the current scope.</summary>
sealed class MacroStatement(int line, MacroDefinition definition) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        state.Scope.Set(definition.Name, new MacroValue(definition, state.Scope));
        return Flow.Normal;
    }
}

/// <summary><c>{% call(params) macro(args) %}body{% endcall %}</c>: calls the macro with <c>caller</c>
/// bound to the body, and prints the result.</summary>
sealed class CallBlockStatement(int line, CallExpression call, MacroDefinition callerBody) : Statement(line)
{
    public override Flow Execute(RenderState state)
    {
        var arguments = call.Arguments.Evaluate(state);
        var named = new KeyValuePair<string, TemplateValue>[arguments.Named.Length + 1];
        Array.Copy(arguments.Named, named, arguments.Named.Length);
        named[^1] = new("caller", new MacroValue(callerBody, state.Scope));
        state.Output.Append(call.Invoke(state, new CallArguments(arguments.Positional, named)).ToStr());
        return Flow.Normal;
    }
}
