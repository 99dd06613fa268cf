using System.CommandLine;
using Specula.Engine;
using Specula.Templates;

namespace Specula.Cli.Commands;

/// <summary>The options of commands that talk to a model through its chat template: a system prompt and,
/// for models without a template (or to try another), a template file.</summary>
sealed class ChatArguments
{
    public Option<string> System { get; } = new("--system") { Description = "System prompt: instructions the model gets before the conversation" };
    public Option<string> Template { get; } = new("--template")
    {
        Description = "Jinja chat template file to use instead of the model's tokenizer.chat_template",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(System);
        command.Options.Add(Template);
    }

    /// <summary>The model's chat format, or the one the template file gives.</summary>
    public ChatFormat Format(ParseResult parse, LoadedModel model)
    {
        var templateFile = parse.GetValue(Template);
        var source = templateFile != null ? File.ReadAllText(templateFile) : ChatTemplateMetadata.Find(model.Model.File.Metadata);
        if (source == null)
            throw new CliException($"{model.Path} has no chat template ({ChatTemplateMetadata.DefaultKey}); " +
                                   "give one with --template FILE.jinja, or use `run -p` without --chat for plain text completion");
        try
        {
            return model.ChatFormat(source);
        }
        catch (TemplateException ex)
        {
            throw new CliException($"the chat template does not parse: {ex.Message}");
        }
    }
}
