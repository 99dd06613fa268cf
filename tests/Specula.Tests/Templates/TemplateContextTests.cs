using System.Text.Json;
using System.Text.Json.Nodes;
using Specula.Templates;
using Xunit;

namespace Specula.Tests.Templates;

/// <summary>How callers hand values to templates: the context's named variables and JSON conversion.</summary>
public class TemplateContextTests
{
    const string Probe = "{{ messages | length }}|{{ add_generation_prompt }}|{{ bos_token is defined }}|{{ eos_token }}|{{ tools is defined }}|{{ tools is none }}";

    [Fact]
    public void ContextPassesTransformersVariables()
    {
        var context = new TemplateContext
        {
            Messages = TemplateValue.ParseJson("""[{"role": "user", "content": "hi"}]"""),
            AddGenerationPrompt = true,
            EosToken = "</s>",
            Tools = TemplateValue.None,
        };
        Assert.Equal("1|True|False|</s>|True|True", ChatTemplate.Parse(Probe).Render(context));
    }

    [Fact]
    public void AbsentToolsAreUndefinedButJsonNullToolsAreNone()
    {
        var template = ChatTemplate.Parse("{{ tools is defined }} {{ tools is none }}");
        Assert.Equal("False False", template.Render(new TemplateContext()));
        Assert.Equal("True True", template.Render(new TemplateContext { Tools = TemplateValue.ParseJson("null") }));
    }

    [Fact]
    public void ExtraVariablesOverrideNamedOnes()
    {
        var context = new TemplateContext { BosToken = "<s>" };
        context.Variables["bos_token"] = TemplateValue.From("<|begin|>");
        context.Variables["enable_thinking"] = TemplateValue.False;
        Assert.Equal("<|begin|> True", ChatTemplate.Parse("{{ bos_token }} {{ enable_thinking is false }}").Render(context));
    }

    [Fact]
    public void ContextVariablesShadowBuiltinFunctions()
    {
        var context = new TemplateContext();
        context.Variables["range"] = TemplateValue.From("mine");
        Assert.Equal("mine", ChatTemplate.Parse("{{ range }}").Render(context));
    }

    [Fact]
    public void JsonNumbersBecomeIntsOrFloatsAsPythonJsonLoadsDoes()
    {
        var value = TemplateValue.ParseJson("""{"i": 22, "f": 22.0, "e": 1e5, "neg": -3, "big": 12345678901234}""");
        var context = new TemplateContext();
        context.Variables["v"] = value;
        Assert.Equal("22 22.0 100000.0 -3 12345678901234 True False",
            ChatTemplate.Parse("{{ v.i }} {{ v.f }} {{ v.e }} {{ v.neg }} {{ v.big }} {{ v.i is integer }} {{ v.f is integer }}").Render(context));
    }

    [Fact]
    public void JsonElementsAndJsonNodesConvertAlike()
    {
        const string json = """{"b": [1, 2.5, "x", true, null, {"k": "v"}], "a": "é"}""";
        using var document = JsonDocument.Parse(json);
        var fromElement = TemplateValue.FromJson(document.RootElement);
        var fromNode = TemplateValue.FromJson(JsonNode.Parse(json));
        var built = TemplateValue.FromJson(new JsonObject { ["b"] = new JsonArray(1, 2.5, "x", true, null, new JsonObject { ["k"] = "v" }), ["a"] = "é" });
        Assert.Equal("{'b': [1, 2.5, 'x', True, None, {'k': 'v'}], 'a': 'é'}", fromElement.ToRepr());
        Assert.Equal(fromElement.ToRepr(), fromNode.ToRepr());
        Assert.Equal(fromElement.ToRepr(), built.ToRepr());
    }

    [Fact]
    public void RenderingIsRepeatableAndDoesNotChangeTheInput()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{{ messages[0].role }}");
        var context = new TemplateContext { Messages = TemplateValue.ParseJson("""[{"role": "user"}, {"role": "assistant"}]""") };
        Assert.Equal("2user", template.Render(context));
        Assert.Equal("2user", template.Render(context));
    }

    [Fact]
    public async Task ParsedTemplatesRenderConcurrently()
    {
        var template = ChatTemplate.Parse("{% for m in messages %}<{{ m.role }}:{{ m.content | trim }}>{% endfor %}");
        var renders = Enumerable.Range(0, 32).Select(i => Task.Run(() =>
        {
            var context = new TemplateContext { Messages = TemplateValue.ParseJson($$"""[{"role": "user", "content": " {{i}} "}]""") };
            return template.Render(context);
        }));
        var outputs = await Task.WhenAll(renders);
        for (int i = 0; i < outputs.Length; i++) Assert.Equal($"<user:{i}>", outputs[i]);
    }
}
