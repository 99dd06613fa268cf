namespace Specula.Templates;

/// <summary>An expression of the template language; evaluating it yields a value.</summary>
abstract class Expression(int line)
{
    public int Line { get; } = line;
    public abstract TemplateValue Evaluate(RenderState state);
}

sealed class ConstantExpression(int line, TemplateValue value) : Expression(line)
{
    public TemplateValue Value { get; } = value;
    public override TemplateValue Evaluate(RenderState state) => Value;
}

sealed class NameExpression(int line, string name) : Expression(line)
{
    public string Name { get; } = name;
    public override TemplateValue Evaluate(RenderState state) => state.Lookup(Name);
}

/// <summary>A list literal <c>[a, b]</c> or tuple <c>(a, b)</c>.</summary>
sealed class ListExpression(int line, Expression[] items, bool isTuple) : Expression(line)
{
    public Expression[] Items { get; } = items;
    public bool IsTuple { get; } = isTuple;

    public override TemplateValue Evaluate(RenderState state)
    {
        var values = new TemplateValue[Items.Length];
        for (int i = 0; i < values.Length; i++) values[i] = Items[i].Evaluate(state);
        return new ListValue(values, IsTuple);
    }
}

sealed class DictExpression(int line, Expression[] keys, Expression[] values) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var dict = new DictValue(keys.Length);
        for (int i = 0; i < keys.Length; i++) dict.Set(keys[i].Evaluate(state), values[i].Evaluate(state));
        return dict;
    }
}

enum UnaryOperator { Negate, Positive, Not }

sealed class UnaryExpression(int line, UnaryOperator op, Expression operand) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var value = operand.Evaluate(state);
        return op switch
        {
            UnaryOperator.Negate => Operators.Negate(value),
            UnaryOperator.Positive => Operators.Positive(value),
            _ => TemplateValue.From(!value.IsTruthy),
        };
    }
}

enum BinaryOperator { Add, Subtract, Multiply, Divide, FloorDivide, Modulo, Power }

sealed class BinaryExpression(int line, BinaryOperator op, Expression left, Expression right) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var a = left.Evaluate(state);
        var b = right.Evaluate(state);
        return op switch
        {
            BinaryOperator.Add => Operators.Add(a, b),
            BinaryOperator.Subtract => Operators.Subtract(a, b),
            BinaryOperator.Multiply => Operators.Multiply(a, b),
            BinaryOperator.Divide => Operators.Divide(a, b),
            BinaryOperator.FloorDivide => Operators.FloorDivide(a, b),
            BinaryOperator.Modulo => Operators.Modulo(a, b),
            _ => Operators.Power(a, b),
        };
    }
}

/// <summary><c>a and b</c> / <c>a or b</c>: short-circuit and yield an operand, as in Python.</summary>
sealed class LogicalExpression(int line, bool isAnd, Expression left, Expression right) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var first = left.Evaluate(state);
        return first.IsTruthy == isAnd ? right.Evaluate(state) : first;
    }
}

/// <summary><c>a ~ b ~ c</c>: the operands' string forms joined.</summary>
sealed class ConcatExpression(int line, Expression[] parts) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var text = new System.Text.StringBuilder();
        foreach (var part in parts) text.Append(part.Evaluate(state).ToStr());
        return StringValue.Of(text.ToString());
    }
}

/// <summary>A comparison chain <c>a &lt; b &lt;= c</c>, evaluated pairwise like Python's.</summary>
sealed class CompareExpression(int line, Expression first, string[] operators, Expression[] operands) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var left = first.Evaluate(state);
        for (int i = 0; i < operators.Length; i++)
        {
            var right = operands[i].Evaluate(state);
            bool holds = operators[i] switch
            {
                "==" => Operators.AreEqual(left, right),
                "!=" => !Operators.AreEqual(left, right),
                "in" => Operators.Contains(right, left),
                "not in" => !Operators.Contains(right, left),
                var op => Operators.Ordered(op, left, right),
            };
            if (!holds) return BooleanValue.False;
            left = right;
        }
        return BooleanValue.True;
    }
}

/// <summary><c>a if test else b</c>; without <c>else</c> a false test yields undefined.</summary>
sealed class ConditionalExpression(int line, Expression test, Expression whenTrue, Expression? whenFalse) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        if (test.Evaluate(state).IsTruthy) return whenTrue.Evaluate(state);
        return whenFalse?.Evaluate(state) ?? UndefinedValue.WithHint(
            $"the inline if-expression on line {Line} evaluated to false and no else section was defined");
    }
}

/// <summary><c>obj.name</c>.</summary>
sealed class AttributeExpression(int line, Expression target, string name) : Expression(line)
{
    public Expression Target { get; } = target;
    public string Name { get; } = name;

    public override TemplateValue Evaluate(RenderState state) => Target.Evaluate(state).GetAttribute(Name);
}

/// <summary><c>obj[key]</c>.</summary>
sealed class ItemExpression(int line, Expression target, Expression key) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state) => target.Evaluate(state).GetItem(key.Evaluate(state));
}

/// <summary><c>obj[start:stop:step]</c> on strings, lists and tuples.</summary>
sealed class SliceExpression(int line, Expression target, Expression? start, Expression? stop, Expression? step) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state)
    {
        var value = target.Evaluate(state);
        long? from = Bound(start, state), to = Bound(stop, state), stride = Bound(step, state);
        switch (value)
        {
            case StringValue s:
                if (stride == 0) throw new TemplateException("slice step cannot be zero");
                return StringValue.Of(PythonString.Slice(s.Value, from, to, stride));
            case ListValue list:
                var indices = Slicing.Indices(list.Count, from, to, stride);
                var items = new TemplateValue[indices.Count];
                for (int i = 0; i < items.Length; i++) items[i] = list.Items[indices[i]];
                return new ListValue(items, list.IsTuple);
            case UndefinedValue u:
                throw u.Fail();
            default:
                throw new TemplateException($"'{value.TypeName}' object is not subscriptable");
        }
    }

    static long? Bound(Expression? expression, RenderState state)
    {
        if (expression == null) return null;
        var value = expression.Evaluate(state);
        if (value is NoneValue) return null;
        if (Operators.TryGetInteger(value, out var bound)) return bound;
        throw new TemplateException("slice indices must be integers or None");
    }
}

/// <summary>The arguments written in a call: positional, <c>name=value</c>, <c>*list</c> and
/// <c>**dict</c>.</summary>
sealed class ArgumentList(Expression[] positional, string[] names, Expression[] named, Expression? starArgs, Expression? starKwargs)
{
    public static readonly ArgumentList Empty = new([], [], [], null, null);

    public int PositionalCount => positional.Length;

    public CallArguments Evaluate(RenderState state)
    {
        if (positional.Length == 0 && named.Length == 0 && starArgs == null && starKwargs == null) return CallArguments.Empty;
        var values = new List<TemplateValue>(positional.Length);
        foreach (var expression in positional) values.Add(expression.Evaluate(state));
        if (starArgs != null) values.AddRange(starArgs.Evaluate(state).Iterate());
        var keywords = new List<KeyValuePair<string, TemplateValue>>(named.Length);
        for (int i = 0; i < named.Length; i++) keywords.Add(new(names[i], named[i].Evaluate(state)));
        if (starKwargs != null)
        {
            if (starKwargs.Evaluate(state) is not DictValue dict)
                throw new TemplateException("argument after ** must be a mapping");
            foreach (var (key, value) in dict.Entries)
                keywords.Add(new(key is StringValue s ? s.Value : throw new TemplateException("keywords must be strings"), value));
        }
        return new CallArguments(values.ToArray(), keywords.ToArray());
    }
}

/// <summary><c>f(args)</c>. A method call on a value (<c>text.strip()</c>) goes straight to the method
/// without building a bound-method object.</summary>
sealed class CallExpression(int line, Expression callee, ArgumentList arguments) : Expression(line)
{
    public Expression Callee { get; } = callee;
    public ArgumentList Arguments { get; } = arguments;

    public override TemplateValue Evaluate(RenderState state) => Invoke(state, Arguments.Evaluate(state));

    /// <summary>Calls with given arguments (a call block adds <c>caller</c> to them).</summary>
    public TemplateValue Invoke(RenderState state, CallArguments arguments)
    {
        if (Callee is AttributeExpression attribute)
        {
            var receiver = attribute.Target.Evaluate(state);
            if (BuiltinMethods.TryCall(receiver, attribute.Name, arguments, state, out var result)) return result;
            return receiver.GetAttribute(attribute.Name).Call(arguments, state);
        }
        return Callee.Evaluate(state).Call(arguments, state);
    }
}

/// <summary>One filter application <c>| name(args)</c>, resolved when parsed; an unknown filter fails
/// only if it is reached, as in Jinja 3.</summary>
sealed class FilterCall(int line, string name, ArgumentList arguments)
{
    readonly BuiltinFilters.Filter? filter = BuiltinFilters.Find(name);

    public TemplateValue Apply(TemplateValue input, RenderState state)
    {
        if (filter == null) throw new TemplateException($"no filter named '{name}'").WithLine(line);
        return filter(input, arguments.Evaluate(state), state);
    }
}

sealed class FilterExpression(int line, Expression input, FilterCall filter) : Expression(line)
{
    public override TemplateValue Evaluate(RenderState state) => filter.Apply(input.Evaluate(state), state);
}

/// <summary><c>value is [not] name(args)</c>.</summary>
sealed class TestExpression(int line, Expression input, string name, ArgumentList arguments, bool negated) : Expression(line)
{
    readonly BuiltinTests.Test? test = BuiltinTests.Find(name);

    public override TemplateValue Evaluate(RenderState state)
    {
        if (test == null) throw new TemplateException($"no test named '{name}'");
        bool result = test(input.Evaluate(state), arguments.Evaluate(state), state);
        return TemplateValue.From(result != negated);
    }
}
