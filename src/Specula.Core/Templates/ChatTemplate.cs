namespace Specula.Templates;

/// <summary>A parsed Jinja chat template (the <c>tokenizer.chat_template</c> of a model), rendered as
/// Python Jinja2 renders it under transformers' settings: trim_blocks, lstrip_blocks, loopcontrols, no
/// autoescape, an immutable sandbox, and the globals <c>raise_exception</c> and <c>strftime_now</c>.
/// Parse once, render many times; rendering is thread-safe.</summary>
public sealed class ChatTemplate
{
    readonly Statement[] body;

    ChatTemplate(string source, Statement[] body)
    {
        Source = source;
        this.body = body;
    }

    public string Source { get; }

    /// <summary>Parses a template; a syntax error throws <see cref="TemplateException"/> with the line.</summary>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, TemplateParser.Parse(source));
    }

    /// <summary>Renders the prompt. Errors, including the template's own <c>raise_exception</c>, throw
    /// <see cref="TemplateException"/>.</summary>
    public string Render(TemplateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var state = new RenderState(context.CreateGlobals(), context.Clock);
        Statement.ExecuteAll(body, state);
        return state.Output.ToString();
    }
}
