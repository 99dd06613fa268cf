using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>transformers renders with trim_blocks and lstrip_blocks; plus Jinja's <c>-</c>/<c>+</c> markers,
/// comments, raw blocks and newline normalisation.</summary>
public class WhitespaceControlTests
{
    [Theory]
    [InlineData("a\n{% if true %}\nb\n{% endif %}\nc", "a\nb\nc")]                       // trim_blocks eats the newline after %}
    [InlineData("a\n  {% if true %}\n  b\n  {% endif %}\nc", "a\n  b\nc")]                // lstrip_blocks eats the indent before {%
    [InlineData("  {% if true %}x{% endif %}  \n  y", "x  \n  y")]                        // ...also on the first line
    [InlineData("a\n\t {% if true %}b\n\t {% endif %}c", "a\nb\nc")]
    [InlineData("{{ 'x' }}   {% if true %}y{% endif %}", "x   y")]                       // not after text on the same line
    [InlineData("a\n  {{ 'x' }}  \nb", "a\n  x  \nb")]                                    // print tags are not stripped
    [InlineData("{% for i in range(3) %}\n  {{ i }}\n{% endfor %}\n", "  0\n  1\n  2\n")]
    public void TrimBlocksAndLstripBlocksApplyToStatementTags(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("a  {%- if true -%}  b  {%- endif -%}  c", "abc")]
    [InlineData("a\n  {{- 'x' -}}  \nb", "axb")]
    [InlineData("{%- for i in range(3) %}\n  {{- i }}\n{%- endfor %}", "012")]
    public void MinusStripsAllWhitespaceOnItsSide(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("a\n  {%+ if true %}b{% endif %}", "a\n  b")]
    [InlineData("a {%+ if true +%}\nb{% endif %}", "a \nb")]
    public void PlusKeepsWhitespaceThatWouldBeTrimmed(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("x {# comment #}\ny", "x y")]
    [InlineData("x\n  {# comment #}\ny", "x\ny")]
    [InlineData("x\n  {#- comment -#}\n  y", "xy")]
    public void CommentsVanishWithBlockWhitespaceRules(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{% raw %}{{ x }}{% endraw %}", "{{ x }}")]
    [InlineData("a\n  {% raw %}\n  {{ x }} {% y %}\n  {% endraw %}\nb", "a\n\n  {{ x }} {% y %}\nb")]
    [InlineData("{%- raw -%}  {{ x }}  {%- endraw -%}  z", "{{ x }}z")]
    public void RawBlocksPrintTagsLiterally(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("trailing\n", "trailing")]
    [InlineData("trailing\n\n", "trailing\n")]
    [InlineData("{{ 'a' }}\n{{ 'b' }}\n", "a\nb")]
    [InlineData("line1\r\nline2\r\n{% if true %}\r\nx\r\n{% endif %}\r\n", "line1\nline2\nx\n")]
    public void OneTrailingNewlineIsDroppedAndNewlinesAreNormalised(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ {'a': {'b': 1}} }}", "{'a': {'b': 1}}")]
    [InlineData("{{ {'a':1}}}", "{'a': 1}")]
    public void BracesInsideATagDoNotCloseIt(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Fact]
    public void MessageTextKeepsItsOwnCarriageReturnsAndWhitespace() =>
        Assert.Equal(" a\r\n\tb ", Render("{{ m }}", """{"m": " a\r\n\tb "}"""));
}
