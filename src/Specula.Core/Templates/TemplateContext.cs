namespace Specula.Templates;

/// <summary>The variables a chat template renders with, named as transformers' <c>apply_chat_template</c>
/// passes them: <c>messages</c>, <c>add_generation_prompt</c>, <c>bos_token</c>/<c>eos_token</c> (left out
/// when null), <c>tools</c> (null here: not passed, undefined in the template; <see cref="TemplateValue.None"/>:
/// passed as None), any extra variables (e.g. <c>enable_thinking</c>), and the clock behind
/// <c>strftime_now</c>.</summary>
public sealed class TemplateContext
{
    /// <summary>The conversation, usually <see cref="TemplateValue.FromJson(System.Text.Json.JsonElement)"/>
    /// of an OpenAI-style messages array.</summary>
    public TemplateValue Messages { get; set; } = ListValue.EmptyList;

    public bool AddGenerationPrompt { get; set; }
    public string? BosToken { get; set; }
    public string? EosToken { get; set; }

    /// <summary>Tool definitions; null leaves <c>tools</c> undefined.</summary>
    public TemplateValue? Tools { get; set; }

    /// <summary>The time <c>strftime_now</c> formats (as a naive local time, like Python's
    /// <c>datetime.now()</c>); fix it for reproducible output.</summary>
    public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.Now;

    /// <summary>More variables; they override the ones above when names collide.</summary>
    public Dictionary<string, TemplateValue> Variables { get; } = new(StringComparer.Ordinal);

    internal Scope CreateGlobals()
    {
        var globals = new Scope(null);
        globals.Set("messages", Messages);
        globals.Set("add_generation_prompt", TemplateValue.From(AddGenerationPrompt));
        if (BosToken != null) globals.Set("bos_token", TemplateValue.From(BosToken));
        if (EosToken != null) globals.Set("eos_token", TemplateValue.From(EosToken));
        if (Tools != null) globals.Set("tools", Tools);
        foreach (var (name, value) in Variables) globals.Set(name, value);
        return globals;
    }
}
