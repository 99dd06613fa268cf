namespace Specula.Templates;

/// <summary><c>{% for target in iterable [if filter] [recursive] %}body[{% else %}otherwise]{% endfor %}</c>.
/// Each iteration runs in a fresh scope holding the target and <c>loop</c>; <c>else</c> runs when no item
/// passed the filter.</summary>
sealed class ForStatement(int line, AssignTarget target, Expression iterable, Expression? filter, Statement[] body,
    Statement[] otherwise, bool recursive) : Statement(line)
{
    public bool IsRecursive { get; } = recursive;

    public override Flow Execute(RenderState state) => Run(state, iterable.Evaluate(state), depth: 1);

    /// <summary>Loops over <paramref name="source"/>; a recursive loop calls this again through
    /// <c>loop(children)</c>.</summary>
    internal Flow Run(RenderState state, TemplateValue source, int depth)
    {
        if (source is NoneValue) throw new TemplateException("'NoneType' object is not iterable");
        var items = Filter(state, source.Iterate());
        if (items.Count == 0) return ExecuteAll(otherwise, state);

        var loop = new LoopValue(this, items, depth);
        var outer = state.Scope;
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                state.Scope = new Scope(outer);
                loop.Index0 = i;
                target.Assign(state, items[i]);
                state.Scope.Set("loop", loop);
                if (ExecuteAll(body, state) == Flow.Break) break;
            }
        }
        finally
        {
            state.Scope = outer;
        }
        return Flow.Normal;
    }

    IReadOnlyList<TemplateValue> Filter(RenderState state, IReadOnlyList<TemplateValue> items)
    {
        if (filter == null) return items;
        var kept = new List<TemplateValue>(items.Count);
        var outer = state.Scope;
        try
        {
            foreach (var item in items)
            {
                state.Scope = new Scope(outer);
                target.Assign(state, item);
                if (filter.Evaluate(state).IsTruthy) kept.Add(item);
            }
        }
        finally
        {
            state.Scope = outer;
        }
        return kept;
    }
}

/// <summary>The <c>loop</c> variable: position (<c>index</c>, <c>index0</c>, <c>revindex</c>, <c>first</c>,
/// <c>last</c>, <c>length</c>, <c>depth</c>), neighbours (<c>previtem</c>, <c>nextitem</c>) and the
/// helpers <c>cycle(...)</c> and <c>changed(...)</c>; callable in a recursive loop.</summary>
sealed class LoopValue(ForStatement owner, IReadOnlyList<TemplateValue> items, int depth) : TemplateValue
{
    TemplateValue[]? lastChangedValues;

    public int Index0 { get; set; }

    public override string TypeName => "LoopContext";
    public override bool IsTruthy => true;
    public override bool IsCallable => owner.IsRecursive;
    public override string ToStr() => $"<LoopContext {Index0 + 1}/{items.Count}>";

    internal override TemplateValue GetAttribute(string name)
    {
        int length = items.Count;
        return name switch
        {
            "index" => IntegerValue.Of(Index0 + 1),
            "index0" => IntegerValue.Of(Index0),
            "revindex" => IntegerValue.Of(length - Index0),
            "revindex0" => IntegerValue.Of(length - Index0 - 1),
            "first" => From(Index0 == 0),
            "last" => From(Index0 == length - 1),
            "length" => IntegerValue.Of(length),
            "depth" => IntegerValue.Of(depth),
            "depth0" => IntegerValue.Of(depth - 1),
            "previtem" => Index0 > 0 ? items[Index0 - 1] : UndefinedValue.WithHint("there is no previous item"),
            "nextitem" => Index0 + 1 < length ? items[Index0 + 1] : UndefinedValue.WithHint("there is no next item"),
            "cycle" => new FunctionValue("loop.cycle", (arguments, _) => Cycle(arguments)),
            "changed" => new FunctionValue("loop.changed", (arguments, _) => Changed(arguments)),
            _ => UndefinedValue.MissingAttribute(this, name),
        };
    }

    TemplateValue Cycle(CallArguments arguments)
    {
        if (arguments.Positional.Length == 0) throw new TemplateException("no items for cycling given");
        return arguments.Positional[Index0 % arguments.Positional.Length];
    }

    TemplateValue Changed(CallArguments arguments)
    {
        var values = arguments.Positional;
        bool changed = lastChangedValues == null || lastChangedValues.Length != values.Length;
        for (int i = 0; !changed && i < values.Length; i++) changed = !Operators.AreEqual(lastChangedValues![i], values[i]);
        lastChangedValues = values;
        return From(changed);
    }

    internal override TemplateValue Call(CallArguments arguments, RenderState state)
    {
        if (!owner.IsRecursive)
            throw new TemplateException("the loop is not recursive: add 'recursive' to the for tag to call loop(...)");
        if (arguments.Positional.Length != 1 || arguments.Named.Length != 0)
            throw new TemplateException("loop(...) takes exactly one argument, the items to loop over");
        var items = arguments.Positional[0];
        return StringValue.Of(state.Capture(state.Scope, s => owner.Run(s, items, depth + 1)));
    }
}
