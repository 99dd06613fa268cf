namespace Specula.Templates;

/// <summary>Python's operators on template values: arithmetic, comparison, equality and <c>in</c>, with
/// Python's rules (bool counts as int, <c>/</c> is true division, <c>//</c> and <c>%</c> floor) and its
/// error messages for mismatched types.</summary>
static class Operators
{
    /// <summary>Strings and lists built by <c>*</c> are capped so a template cannot exhaust memory.</summary>
    const long MaxRepeatedLength = 64L * 1024 * 1024;

    public static bool IsNumber(TemplateValue value) => value is IntegerValue or FloatValue or BooleanValue;

    /// <summary>An int or bool as a long (Python's bool is an int).</summary>
    public static bool TryGetInteger(TemplateValue value, out long result)
    {
        switch (value)
        {
            case IntegerValue i: result = i.Value; return true;
            case BooleanValue b: result = b.Value ? 1 : 0; return true;
            default: result = 0; return false;
        }
    }

    public static bool TryGetIndex(TemplateValue value, out long index) => TryGetInteger(value, out index);

    public static double ToDouble(TemplateValue value) => value switch
    {
        IntegerValue i => i.Value,
        FloatValue f => f.Value,
        BooleanValue b => b.Value ? 1 : 0,
        _ => throw new TemplateException($"'{value.TypeName}' is not a number"),
    };

    static TemplateException Unsupported(string op, TemplateValue left, TemplateValue right)
    {
        if (left is UndefinedValue u) return u.Fail();
        if (right is UndefinedValue v) return v.Fail();
        return new TemplateException($"unsupported operand type(s) for {op}: '{left.TypeName}' and '{right.TypeName}'");
    }

    static TemplateValue Checked(Func<long> operation)
    {
        try { return IntegerValue.Of(operation()); }
        catch (OverflowException) { throw new TemplateException("integer overflow (values beyond 64 bits are not supported)"); }
    }

    public static TemplateValue Add(TemplateValue left, TemplateValue right)
    {
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b)) return Checked(() => checked(a + b));
        if (IsNumber(left) && IsNumber(right)) return new FloatValue(ToDouble(left) + ToDouble(right));
        if (left is StringValue s && right is StringValue t) return StringValue.Of(string.Concat(s.Value, t.Value));
        if (left is ListValue x && right is ListValue y && x.IsTuple == y.IsTuple)
        {
            var items = new TemplateValue[x.Count + y.Count];
            for (int i = 0; i < x.Count; i++) items[i] = x.Items[i];
            for (int i = 0; i < y.Count; i++) items[x.Count + i] = y.Items[i];
            return new ListValue(items, x.IsTuple);
        }
        if (left is StringValue or ListValue && right is not UndefinedValue)
            throw new TemplateException($"can only concatenate {left.TypeName} (not \"{right.TypeName}\") to {left.TypeName}");
        throw Unsupported("+", left, right);
    }

    public static TemplateValue Subtract(TemplateValue left, TemplateValue right)
    {
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b)) return Checked(() => checked(a - b));
        if (IsNumber(left) && IsNumber(right)) return new FloatValue(ToDouble(left) - ToDouble(right));
        throw Unsupported("-", left, right);
    }

    public static TemplateValue Multiply(TemplateValue left, TemplateValue right)
    {
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b)) return Checked(() => checked(a * b));
        if (IsNumber(left) && IsNumber(right)) return new FloatValue(ToDouble(left) * ToDouble(right));
        if (left is StringValue or ListValue && TryGetInteger(right, out var times)) return Repeat(left, times);
        if (right is StringValue or ListValue && TryGetInteger(left, out times)) return Repeat(right, times);
        throw Unsupported("*", left, right);
    }

    static TemplateValue Repeat(TemplateValue sequence, long times)
    {
        if (times <= 0) return sequence is StringValue ? StringValue.Empty : new ListValue([], ((ListValue)sequence).IsTuple);
        long unit = sequence is StringValue s ? s.Value.Length : ((ListValue)sequence).Count;
        if (unit * times > MaxRepeatedLength || unit * times < 0)
            throw new TemplateException($"repeating a {sequence.TypeName} {times} times is too large");
        if (sequence is StringValue text)
            return StringValue.Of(new System.Text.StringBuilder(text.Value.Length * (int)times).Insert(0, text.Value, (int)times).ToString());
        var list = (ListValue)sequence;
        var items = new TemplateValue[list.Count * (int)times];
        for (int i = 0; i < items.Length; i++) items[i] = list.Items[i % list.Count];
        return new ListValue(items, list.IsTuple);
    }

    public static TemplateValue Divide(TemplateValue left, TemplateValue right)
    {
        if (!IsNumber(left) || !IsNumber(right)) throw Unsupported("/", left, right);
        double divisor = ToDouble(right);
        if (divisor == 0) throw new TemplateException("division by zero");
        return new FloatValue(ToDouble(left) / divisor);
    }

    public static TemplateValue FloorDivide(TemplateValue left, TemplateValue right)
    {
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b))
        {
            if (b == 0) throw new TemplateException("integer division or modulo by zero");
            if (a == long.MinValue && b == -1) throw new TemplateException("integer overflow (values beyond 64 bits are not supported)");
            long quotient = a / b;
            if (a % b != 0 && (a < 0) != (b < 0)) quotient--;
            return IntegerValue.Of(quotient);
        }
        if (!IsNumber(left) || !IsNumber(right)) throw Unsupported("//", left, right);
        double x = ToDouble(left), y = ToDouble(right);
        if (y == 0) throw new TemplateException("float floor division by zero");
        return new FloatValue(FloatDivMod(x, y).Quotient);
    }

    public static TemplateValue Modulo(TemplateValue left, TemplateValue right)
    {
        if (left is StringValue format) return StringValue.Of(PercentFormat.Apply(format.Value, right));
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b))
        {
            if (b == 0) throw new TemplateException("integer modulo by zero");
            if (b == -1) return IntegerValue.Of(0);
            long remainder = a % b;
            if (remainder != 0 && (remainder < 0) != (b < 0)) remainder += b;
            return IntegerValue.Of(remainder);
        }
        if (!IsNumber(left) || !IsNumber(right)) throw Unsupported("%", left, right);
        double x = ToDouble(left), y = ToDouble(right);
        if (y == 0) throw new TemplateException("float modulo");
        return new FloatValue(FloatDivMod(x, y).Remainder);
    }

    /// <summary>CPython's float divmod: the remainder takes the divisor's sign.</summary>
    static (double Quotient, double Remainder) FloatDivMod(double x, double y)
    {
        double mod = x % y; // C#'s % on doubles is C's fmod, as in CPython
        double div = (x - mod) / y;
        if (mod != 0)
        {
            if ((y < 0) != (mod < 0))
            {
                mod += y;
                div -= 1;
            }
        }
        else mod = Math.CopySign(0, y);
        double floorDiv;
        if (div != 0)
        {
            floorDiv = Math.Floor(div);
            if (div - floorDiv > 0.5) floorDiv += 1;
        }
        else floorDiv = Math.CopySign(0, x / y);
        return (floorDiv, mod);
    }

    public static TemplateValue Power(TemplateValue left, TemplateValue right)
    {
        if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b) && b >= 0)
        {
            try
            {
                long result = 1, factor = a;
                while (b > 0)
                {
                    if ((b & 1) != 0) result = checked(result * factor);
                    b >>= 1;
                    if (b > 0) factor = checked(factor * factor);
                }
                return IntegerValue.Of(result);
            }
            catch (OverflowException) { throw new TemplateException("integer overflow (values beyond 64 bits are not supported)"); }
        }
        if (!IsNumber(left) || !IsNumber(right)) throw Unsupported("** or pow()", left, right);
        double x = ToDouble(left), y = ToDouble(right);
        if (x == 0 && y < 0) throw new TemplateException("0.0 cannot be raised to a negative power");
        return new FloatValue(Math.Pow(x, y));
    }

    public static TemplateValue Negate(TemplateValue operand)
    {
        if (TryGetInteger(operand, out var a)) return Checked(() => checked(-a));
        if (operand is FloatValue f) return new FloatValue(-f.Value);
        if (operand is UndefinedValue u) throw u.Fail();
        throw new TemplateException($"bad operand type for unary -: '{operand.TypeName}'");
    }

    public static TemplateValue Positive(TemplateValue operand)
    {
        if (TryGetInteger(operand, out var a)) return IntegerValue.Of(a);
        if (operand is FloatValue) return operand;
        if (operand is UndefinedValue u) throw u.Fail();
        throw new TemplateException($"bad operand type for unary +: '{operand.TypeName}'");
    }

    public static bool AreEqual(TemplateValue left, TemplateValue right)
    {
        if (ReferenceEquals(left, right) && left is not FloatValue) return true;
        switch (left)
        {
            case StringValue s: return right is StringValue t && string.Equals(s.Value, t.Value, StringComparison.Ordinal);
            case IntegerValue or BooleanValue or FloatValue:
                if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b)) return a == b;
                return IsNumber(right) && ToDouble(left) == ToDouble(right);
            case NoneValue: return right is NoneValue;
            case UndefinedValue: return right is UndefinedValue;
            case ListValue x:
                if (right is not ListValue y || x.IsTuple != y.IsTuple || x.Count != y.Count) return false;
                using (NestingGuard.Enter())
                {
                    for (int i = 0; i < x.Count; i++)
                        if (!AreEqual(x.Items[i], y.Items[i])) return false;
                }
                return true;
            case DictValue d:
                if (right is not DictValue e || d.Count != e.Count) return false;
                using (NestingGuard.Enter())
                {
                    foreach (var (key, value) in d.Entries)
                        if (!e.TryGet(key, out var other) || !AreEqual(value, other)) return false;
                }
                return true;
            default: return false;
        }
    }

    /// <summary>Python's ordering for <c>sort</c>, <c>max</c> and <c>&lt;</c>: numbers, strings by code point,
    /// lists and tuples element by element; anything else is a TypeError.</summary>
    public static int Compare(TemplateValue left, TemplateValue right, string op = "<")
    {
        if (IsNumber(left) && IsNumber(right))
        {
            if (TryGetInteger(left, out var a) && TryGetInteger(right, out var b)) return a.CompareTo(b);
            return ToDouble(left).CompareTo(ToDouble(right));
        }
        if (left is StringValue s && right is StringValue t) return PythonString.CompareCodePoints(s.Value, t.Value);
        if (left is ListValue x && right is ListValue y && x.IsTuple == y.IsTuple)
        {
            using var guard = NestingGuard.Enter();
            int n = Math.Min(x.Count, y.Count);
            for (int i = 0; i < n; i++)
                if (!AreEqual(x.Items[i], y.Items[i])) return Compare(x.Items[i], y.Items[i], op);
            return x.Count.CompareTo(y.Count);
        }
        if (left is UndefinedValue u) throw u.Fail();
        if (right is UndefinedValue v) throw v.Fail();
        throw new TemplateException($"'{op}' not supported between instances of '{left.TypeName}' and '{right.TypeName}'");
    }

    /// <summary>One of <c>&lt; &lt;= &gt; &gt;=</c>; NaN compares false as in Python.</summary>
    public static bool Ordered(string op, TemplateValue left, TemplateValue right)
    {
        if (IsNumber(left) && IsNumber(right) && !(TryGetInteger(left, out _) && TryGetInteger(right, out _)))
        {
            double a = ToDouble(left), b = ToDouble(right);
            return op switch { "<" => a < b, "<=" => a <= b, ">" => a > b, _ => a >= b };
        }
        int order = Compare(left, right, op);
        return op switch { "<" => order < 0, "<=" => order <= 0, ">" => order > 0, _ => order >= 0 };
    }

    /// <summary>Python's <c>item in container</c>.</summary>
    public static bool Contains(TemplateValue container, TemplateValue item)
    {
        switch (container)
        {
            case StringValue s:
                if (item is not StringValue t)
                    throw new TemplateException($"'in <string>' requires string as left operand, not {item.TypeName}");
                return s.Value.Contains(t.Value, StringComparison.Ordinal);
            case ListValue list:
                foreach (var element in list.Items)
                    if (AreEqual(element, item)) return true;
                return false;
            case DictValue dict:
                if (item is ListValue { IsTuple: false } or DictValue)
                    throw new TemplateException($"unhashable type: '{item.TypeName}'");
                return dict.TryGet(item, out _);
            case UndefinedValue:
                return false;
            default:
                throw new TemplateException($"argument of type '{container.TypeName}' is not iterable");
        }
    }
}
