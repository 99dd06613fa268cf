namespace Specula.Templates;

/// <summary>What went wrong in a template: it does not parse, it failed while rendering, or it called
/// <c>raise_exception</c> on purpose (chat templates do that to reject a conversation).</summary>
public enum TemplateErrorKind
{
    Syntax,
    Runtime,
    Raised,
}

/// <summary>A template error with the template line it happened on. <see cref="Reason"/> is the bare
/// message (for <see cref="TemplateErrorKind.Raised"/>, exactly the text the template passed to
/// <c>raise_exception</c>); <see cref="Exception.Message"/> adds the kind and the line.</summary>
public sealed class TemplateException : Exception
{
    public TemplateException(TemplateErrorKind kind, string reason, int line)
        : base(Describe(kind, reason, line))
    {
        Kind = kind;
        Reason = reason;
        Line = line;
    }

    /// <summary>A runtime error whose line is filled in by the statement that was executing.</summary>
    internal TemplateException(string reason) : this(TemplateErrorKind.Runtime, reason, 0) { }

    public TemplateErrorKind Kind { get; }
    public string Reason { get; }

    /// <summary>1-based template line, or 0 when not known.</summary>
    public int Line { get; }

    internal TemplateException WithLine(int line) => Line != 0 ? this : new TemplateException(Kind, Reason, line);

    static string Describe(TemplateErrorKind kind, string reason, int line)
    {
        var where = line > 0 ? $" on line {line}" : "";
        return kind switch
        {
            TemplateErrorKind.Syntax => $"template syntax error{where}: {reason}",
            TemplateErrorKind.Raised => $"template raised an exception{where}: {reason}",
            _ => $"template error{where}: {reason}",
        };
    }
}
