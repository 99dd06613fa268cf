using Specula.Gguf;
using Specula.Templates;
using Specula.Tokenization;

namespace Specula.Engine;

/// <summary>
/// Turns a conversation into the prompt tokens a chat model expects: the model's Jinja chat template renders
/// the messages (with <c>bos_token</c>/<c>eos_token</c> set to the vocabulary's texts, as llama.cpp sets them),
/// and the text is tokenized with special-token parsing, so <c>&lt;|im_start|&gt;</c> and the like become
/// their control tokens. BOS is added only when the vocabulary asks for it and the rendered text does not
/// already begin with it (many templates write <c>bos_token</c> themselves): never two BOS tokens.
/// </summary>
public sealed class ChatFormat
{
    readonly Tokenizer _tokenizer;

    public ChatFormat(ChatTemplate template, Tokenizer tokenizer, string? bosText, string? eosText)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Template = template;
        _tokenizer = tokenizer;
        BosText = bosText;
        EosText = eosText;
    }

    /// <summary>The chat format a GGUF file describes: its <c>tokenizer.chat_template</c> (or
    /// <paramref name="templateSource"/> instead, when given) and its BOS/EOS token texts.</summary>
    /// <exception cref="InvalidDataException">The file has no chat template and none was given.</exception>
    /// <exception cref="TemplateException">The template does not parse.</exception>
    public static ChatFormat FromModel(GgufReader gguf, Tokenizer tokenizer, string? templateSource = null)
    {
        ArgumentNullException.ThrowIfNull(gguf);
        var source = templateSource ?? ChatTemplateMetadata.Find(gguf.Metadata)
            ?? throw new InvalidDataException($"{gguf.Path} has no chat template ({ChatTemplateMetadata.DefaultKey})");
        return new ChatFormat(ChatTemplate.Parse(source), tokenizer,
            ChatTemplateMetadata.SpecialTokenText(gguf.Metadata, "bos"),
            ChatTemplateMetadata.SpecialTokenText(gguf.Metadata, "eos"));
    }

    public ChatTemplate Template { get; }
    public string? BosText { get; }
    public string? EosText { get; }

    /// <summary>The template's rendering of <paramref name="messages"/>; with
    /// <paramref name="addGenerationPrompt"/> it ends with the start of an assistant turn.</summary>
    /// <exception cref="TemplateException">The template fails, or rejects the conversation.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var items = new TemplateValue[messages.Count];
        for (int i = 0; i < items.Length; i++)
        {
            var message = new DictValue(2);
            message.Set("role", TemplateValue.From(messages[i].Role));
            message.Set("content", TemplateValue.From(messages[i].Content));
            items[i] = message;
        }
        var context = new TemplateContext
        {
            Messages = new ListValue(items),
            AddGenerationPrompt = addGenerationPrompt,
            BosToken = BosText,
            EosToken = EosText,
        };
        return Template.Render(context);
    }

    /// <summary>Token ids of a rendered prompt: special tokens parsed, BOS first when the vocabulary adds it
    /// and the text does not already start with it, no EOS appended.</summary>
    public int[] Tokenize(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var ids = _tokenizer.Encode(prompt, addSpecial: false, parseSpecial: true);
        if (_tokenizer.AddBos && _tokenizer.BosId is int bos && (ids.Length == 0 || ids[0] != bos))
            return [bos, .. ids];
        return ids;
    }

    /// <summary>The prompt tokens for the assistant's next turn after <paramref name="messages"/>.</summary>
    public int[] PromptTokens(IReadOnlyList<ChatMessage> messages) => Tokenize(Render(messages, addGenerationPrompt: true));
}
