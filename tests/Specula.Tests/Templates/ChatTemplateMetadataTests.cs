using Specula.Gguf;
using Specula.Templates;
using Xunit;

namespace Specula.Tests.Templates;

/// <summary>Finding chat templates and special tokens in GGUF metadata.</summary>
public class ChatTemplateMetadataTests
{
    [Fact]
    public void FindsDefaultAndNamedTemplatesThroughALookup()
    {
        var metadata = new Dictionary<string, string>
        {
            ["tokenizer.chat_template"] = "default",
            ["tokenizer.chat_template.tool_use"] = "tools",
        };
        string? Lookup(string key) => metadata.GetValueOrDefault(key);
        Assert.Equal("default", ChatTemplateMetadata.Find(Lookup));
        Assert.Equal("default", ChatTemplateMetadata.Find(Lookup, "default"));
        Assert.Equal("tools", ChatTemplateMetadata.Find(Lookup, "tool_use"));
        Assert.Null(ChatTemplateMetadata.Find(Lookup, "rag"));
    }

    [Fact]
    public void ListsNamedVariantsAndRejectsNonStringTemplates()
    {
        var metadata = new Dictionary<string, object>
        {
            ["tokenizer.chat_template"] = "default",
            ["tokenizer.chat_template.tool_use"] = "tools",
            ["tokenizer.chat_template.rag"] = "rag",
            ["tokenizer.chat_template.broken"] = 7,
        };
        Assert.Equal(["rag", "tool_use"], ChatTemplateMetadata.VariantNames(metadata));
        Assert.Equal("tools", ChatTemplateMetadata.Find(metadata, "tool_use"));
        Assert.Throws<InvalidDataException>(() => ChatTemplateMetadata.Find(metadata, "broken"));
    }

    [Theory]
    [InlineData("gguf/qwen3-bpe.gguf", "qwen3.jinja", "<|endoftext|>", "<|im_end|>")]
    [InlineData("gguf/llama3-bpe.gguf", null, "<|begin_of_text|>", "<|eot_id|>")]
    [InlineData("gguf/llama2-spm.gguf", "llama-2-chat.jinja", "<s>", "</s>")]
    public void ReadsTemplateAndSpecialTokensFromRealGgufFiles(string gguf, string? templateFile, string bos, string eos)
    {
        using var reader = GgufReader.Open(TestPaths.Shared("fixtures/" + gguf));
        var template = ChatTemplateMetadata.Find(reader.Metadata);
        Assert.NotNull(template);
        if (templateFile != null)
            Assert.Equal(File.ReadAllText(TestPaths.Shared("fixtures/chat-templates/" + templateFile)), template);
        Assert.Equal(bos, ChatTemplateMetadata.SpecialTokenText(reader.Metadata, "bos"));
        Assert.Equal(eos, ChatTemplateMetadata.SpecialTokenText(reader.Metadata, "eos"));
        Assert.Null(ChatTemplateMetadata.SpecialTokenText(reader.Metadata, "nosuch"));
    }
}
