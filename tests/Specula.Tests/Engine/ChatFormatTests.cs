using Specula.Engine;
using Specula.Templates;
using Specula.Tests.Reference;
using Xunit;

namespace Specula.Tests.Engine;

/// <summary>Chat prompts are the model's template rendering tokenized as llama.cpp tokenizes chat prompts:
/// special tokens parsed and exactly one BOS when the vocabulary adds one.</summary>
public sealed class ChatFormatTests
{
    static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("You answer in one word."),
        ChatMessage.User("What colour is the sky?"),
        ChatMessage.Assistant("Blue."),
        ChatMessage.User("And grass?"),
    ];

    [Theory]
    [InlineData("llama2-spm", 1)]
    [InlineData("llama3-bpe", 1)]
    [InlineData("qwen3-bpe", 0)]
    public void PromptTokensAreLlamaCppsTokenizationOfTheRenderingWithOneLeadingBos(string fixture, int bosCount)
    {
        string path = TestPaths.Shared($"fixtures/gguf/{fixture}.gguf");
        using var model = LoadedModel.Load(path);
        var format = model.ChatFormat();
        string rendered = format.Render(Conversation);
        Assert.Contains("And grass?", rendered);

        // llama.cpp's chat path: drop the BOS text the template wrote when the tokenizer adds BOS itself,
        // then tokenize with special tokens added and parsed.
        string text = model.Tokenizer.AddBos && format.BosText is { } bos && rendered.StartsWith(bos, StringComparison.Ordinal)
            ? rendered[bos.Length..]
            : rendered;
        using var reference = new LlamaCppReference(path);
        var expected = reference.Tokenize(text, addSpecial: true, parseSpecial: true);

        var tokens = format.PromptTokens(Conversation);
        Assert.Equal(expected, tokens);
        // One BOS at the start, never two (Llama-2's template writes one per turn, further in).
        Assert.Equal(bosCount, tokens.Take(2).Count(id => id == model.Tokenizer.BosId));
        Assert.Equal(bosCount == 1, tokens[0] == model.Tokenizer.BosId);
    }

    [Fact]
    public void TemplateThatDoesNotWriteBosGetsItFromTheVocabulary()
    {
        using var model = LoadedModel.Load(TestPaths.Shared("fixtures/gguf/llama3-bpe.gguf"));
        var format = new ChatFormat(ChatTemplate.Parse("{% for m in messages %}{{ m.content }}{% endfor %}"),
            model.Tokenizer, bosText: "<|begin_of_text|>", eosText: null);
        Assert.Equal([model.Tokenizer.BosId!.Value, .. model.Tokenizer.Encode("hi", addSpecial: false)], format.PromptTokens([ChatMessage.User("hi")]));
    }
}
