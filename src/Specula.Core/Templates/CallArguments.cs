namespace Specula.Templates;

/// <summary>The positional and keyword arguments of one call (<c>f(a, b, key=c)</c>).</summary>
internal sealed class CallArguments
{
    public static readonly CallArguments Empty = new([], []);

    public CallArguments(TemplateValue[] positional, KeyValuePair<string, TemplateValue>[] named)
    {
        Positional = positional;
        Named = named;
    }

    public TemplateValue[] Positional { get; }
    public KeyValuePair<string, TemplateValue>[] Named { get; }

    /// <summary>Matches the arguments to named parameters as Python does: positional ones in order, then
    /// keywords by name. Entries of parameters not given are null. Too many, unknown or repeated
    /// arguments are an error naming <paramref name="function"/>.</summary>
    public TemplateValue?[] Bind(string function, params ReadOnlySpan<string> parameters)
    {
        if (Positional.Length > parameters.Length)
            throw new TemplateException(
                $"{function}() takes at most {parameters.Length} argument(s) ({Positional.Length} given)");
        var bound = new TemplateValue?[parameters.Length];
        Array.Copy(Positional, bound, Positional.Length);
        foreach (var (name, value) in Named)
        {
            int index = parameters.IndexOf(name);
            if (index < 0) throw new TemplateException($"{function}() got an unexpected keyword argument '{name}'");
            if (bound[index] != null) throw new TemplateException($"{function}() got multiple values for argument '{name}'");
            bound[index] = value;
        }
        return bound;
    }

    /// <summary>Fails unless the call has no arguments at all.</summary>
    public void ExpectNone(string function)
    {
        if (Positional.Length != 0 || Named.Length != 0)
            throw new TemplateException($"{function}() takes no arguments");
    }

    /// <summary>The keyword argument <paramref name="name"/>, or null.</summary>
    public TemplateValue? GetNamed(string name)
    {
        foreach (var (key, value) in Named)
            if (key == name) return value;
        return null;
    }
}
