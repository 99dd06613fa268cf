using System.Runtime.CompilerServices;
using System.Text;

namespace Specula.Templates;

/// <summary>A chain of variable scopes. Jinja gives each loop iteration, macro call and <c>with</c>
/// block its own scope; <c>set</c> writes the innermost one, so an assignment inside a loop is gone after
/// the iteration (templates use <c>namespace()</c> to carry values out).</summary>
sealed class Scope(Scope? parent)
{
    Dictionary<string, TemplateValue>? variables;

    public Scope? Parent => parent;

    public TemplateValue? TryGet(string name)
    {
        for (var scope = this; scope != null; scope = scope.Parent)
            if (scope.variables != null && scope.variables.TryGetValue(name, out var value)) return value;
        return null;
    }

    public void Set(string name, TemplateValue value) => (variables ??= new Dictionary<string, TemplateValue>(StringComparer.Ordinal))[name] = value;
}

/// <summary>Everything one render needs: where output goes, the current scope and the clock for
/// <c>strftime_now</c>. Block capture (macros, <c>set</c> blocks, filters) swaps the output buffer.</summary>
sealed class RenderState(Scope globals, Func<DateTimeOffset> clock)
{
    /// <summary>Nested macro calls allowed; Python Jinja stops at about 150-200 (its recursion limit), so
    /// no working template needs more. Stack exhaustion is checked separately, whatever the limit.</summary>
    const int MaxCallDepth = 500;

    int callDepth;

    public StringBuilder Output { get; set; } = new(1024);
    public Scope Scope { get; set; } = globals;
    public Func<DateTimeOffset> Clock { get; } = clock;

    public TemplateValue Lookup(string name) =>
        Scope.TryGet(name) ?? BuiltinGlobals.TryGet(name) ?? UndefinedValue.Named(name);

    /// <summary>Runs <paramref name="body"/> in <paramref name="scope"/> with a fresh output buffer and
    /// returns what it wrote (set blocks, filter blocks).</summary>
    public string Capture(Scope scope, Statement[] body) => Capture(scope, state => Statement.ExecuteAll(body, state), isCall: false);

    /// <summary>Same for a call (macro, caller, recursive loop), which counts against the nesting limit.
    /// Calls are the only way a template recurses, so this is where the stack is checked.</summary>
    public string Capture(Scope scope, Action<RenderState> run, bool isCall = true)
    {
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("macros, blocks or recursive loops nest too deeply for the stack");
        }
        if (isCall && callDepth >= MaxCallDepth)
            throw new TemplateException($"macros or recursive loops nest deeper than {MaxCallDepth} calls");
        var savedOutput = Output;
        var savedScope = Scope;
        if (isCall) callDepth++;
        Output = new StringBuilder();
        Scope = scope;
        try
        {
            run(this);
            return Output.ToString();
        }
        finally
        {
            if (isCall) callDepth--;
            Output = savedOutput;
            Scope = savedScope;
        }
    }
}
