using Specula.Sampling;

namespace Specula.Engine;

/// <summary>
/// A multi-turn conversation with a chat model. Each turn renders the whole conversation with the model's
/// chat template and hands all of it to the <see cref="TextGenerator"/>, which keeps the KV cache of the
/// earlier turns and evaluates only the tokens that differ from what it already holds (usually the end of
/// the previous answer and the new user message).
/// </summary>
public sealed class ChatSession
{
    readonly List<ChatMessage> _messages = [];

    public ChatSession(TextGenerator generator, ChatFormat format, string? systemPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(format);
        Generator = generator;
        Format = format;
        SystemPrompt = string.IsNullOrEmpty(systemPrompt) ? null : systemPrompt;
        Reset();
    }

    public TextGenerator Generator { get; }
    public ChatFormat Format { get; }
    public string? SystemPrompt { get; }

    /// <summary>The conversation so far, the system prompt first when there is one.</summary>
    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>The prompt tokens of the last turn (the whole conversation up to the assistant's answer).</summary>
    public IReadOnlyList<int> LastPromptTokens { get; private set; } = [];

    /// <summary>
    /// Adds the user's message, generates the assistant's answer (streamed to <paramref name="onText"/>) and
    /// adds it to the conversation. If the prompt cannot be built or run (the template rejects the
    /// conversation, it no longer fits the context) the exception propagates and the conversation is left as
    /// it was before the call.
    /// </summary>
    public GenerationResult Send(string userMessage, GenerationOptions options, IRandomSource random,
                                 Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userMessage);
        _messages.Add(ChatMessage.User(userMessage));
        GenerationResult result;
        try
        {
            var prompt = Format.PromptTokens(_messages);
            LastPromptTokens = prompt;
            result = Generator.Generate(prompt, options, random, onText, cancellationToken);
        }
        catch
        {
            _messages.RemoveAt(_messages.Count - 1);
            throw;
        }
        _messages.Add(ChatMessage.Assistant(result.Text));
        return result;
    }

    /// <summary>Starts the conversation over (the system prompt stays). The KV cache is kept: the next turn
    /// still reuses whatever prefix it shares with the new conversation, such as the system prompt.</summary>
    public void Reset()
    {
        _messages.Clear();
        if (SystemPrompt != null) _messages.Add(ChatMessage.System(SystemPrompt));
        LastPromptTokens = [];
    }
}
