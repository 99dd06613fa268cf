using System.Diagnostics;
using System.Text.Json;
using Specula.Templates;
using Xunit;
using Xunit.Abstractions;

namespace Specula.Tests.Templates;

/// <summary>Every real chat template in fixtures/chat-templates rendered for every conversation, compared
/// byte for byte with @huggingface/jinja's output (which Python Jinja2 matches for all of them).</summary>
public class ChatTemplateFixtureTests(ITestOutputHelper output)
{
    static readonly Lazy<JsonDocument> Cases = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("fixtures/chat-templates/chat-cases.json"))));

    static readonly DateTimeOffset FixtureTime = new(2024, 7, 26, 12, 0, 0, TimeSpan.Zero);

    public static IEnumerable<object[]> TemplateCases()
    {
        foreach (var template in Cases.Value.RootElement.GetProperty("expected").EnumerateObject())
            foreach (var testCase in template.Value.EnumerateObject())
                yield return [template.Name, testCase.Name];
    }

    static JsonElement Template(string name) => Cases.Value.RootElement.GetProperty("templates").GetProperty(name);

    static JsonElement Case(string name) =>
        Cases.Value.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    static ChatTemplate Load(string templateName) => ChatTemplate.Parse(
        File.ReadAllText(TestPaths.Shared($"fixtures/chat-templates/{Template(templateName).GetProperty("file").GetString()}")));

    /// <summary>The context the fixtures were rendered with (see fixtures/README.md).</summary>
    static TemplateContext ContextFor(string templateName, string caseName)
    {
        var template = Template(templateName);
        var testCase = Case(caseName);
        var context = new TemplateContext
        {
            Messages = TemplateValue.FromJson(testCase.GetProperty("messages")),
            AddGenerationPrompt = testCase.GetProperty("add_generation_prompt").GetBoolean(),
            BosToken = template.GetProperty("bos_token").GetString(),
            EosToken = template.GetProperty("eos_token").GetString(),
            Tools = testCase.TryGetProperty("tools", out var tools) ? TemplateValue.FromJson(tools) : TemplateValue.None,
            Clock = () => FixtureTime,
        };
        if (testCase.TryGetProperty("context", out var extra))
            foreach (var variable in extra.EnumerateObject()) context.Variables[variable.Name] = TemplateValue.FromJson(variable.Value);
        return context;
    }

    [Theory]
    [MemberData(nameof(TemplateCases))]
    public void RendersLikeReferenceJinja(string templateName, string caseName)
    {
        var expected = Cases.Value.RootElement.GetProperty("expected").GetProperty(templateName).GetProperty(caseName);
        var template = Load(templateName);
        var context = ContextFor(templateName, caseName);
        if (expected.TryGetProperty("error", out var error))
        {
            var exception = Assert.Throws<TemplateException>(() => template.Render(context));
            Assert.Equal(TemplateErrorKind.Raised, exception.Kind);
            Assert.Equal(error.GetString(), exception.Reason);
            Assert.True(exception.Line > 0);
        }
        else
        {
            Assert.Equal(expected.GetProperty("output").GetString(), template.Render(context));
        }
    }

    /// <summary>Measures (does not assert) the render time of a parsed template, for the report.</summary>
    [Theory]
    [InlineData("qwen3", "tool_call_round_trip")]
    [InlineData("llama-3.2-instruct", "tool_call_round_trip")]
    [InlineData("gemma-3-it", "multi_turn")]
    public void RenderTimeOfParsedTemplate(string templateName, string caseName)
    {
        var template = Load(templateName);
        var context = ContextFor(templateName, caseName);
        var first = template.Render(context);
        for (int i = 0; i < 200; i++) template.Render(context);
        const int runs = 2000;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) template.Render(context);
        clock.Stop();
        double microseconds = clock.Elapsed.TotalMicroseconds / runs;
        output.WriteLine($"{templateName} / {caseName}: {microseconds:F1} us per render ({first.Length} chars)");
        Assert.False(string.IsNullOrEmpty(first));
    }
}
