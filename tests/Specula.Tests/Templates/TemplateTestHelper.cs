using Specula.Templates;
using Xunit;

namespace Specula.Tests.Templates;

/// <summary>Renders a template with variables given as JSON and a clock fixed at 2024-07-26T12:00:00Z.
/// Expected strings in these tests are what Python Jinja2 3.1, set up as transformers sets it up, prints
/// for the same template and variables.</summary>
static class TemplateTestHelper
{
    public static readonly DateTimeOffset FixedTime = new(2024, 7, 26, 12, 0, 0, TimeSpan.Zero);

    public static string Render(string template, string variablesJson = "{}") =>
        ChatTemplate.Parse(template).Render(Context(variablesJson));

    public static TemplateContext Context(string variablesJson = "{}")
    {
        var context = new TemplateContext { Clock = () => FixedTime };
        if (TemplateValue.ParseJson(variablesJson) is not DictValue variables)
            throw new ArgumentException("variables must be a JSON object", nameof(variablesJson));
        foreach (var (name, value) in variables.Entries) context.Variables[name.ToStr()] = value;
        return context;
    }

    /// <summary>The error rendering (or parsing) fails with.</summary>
    public static TemplateException RenderError(string template, string variablesJson = "{}") =>
        Assert.Throws<TemplateException>(() => Render(template, variablesJson));
}
