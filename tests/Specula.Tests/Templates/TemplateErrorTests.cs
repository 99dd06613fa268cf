using Specula.Templates;
using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>Bad templates and bad values fail with a TemplateException naming the problem and its line,
/// never with a crash, a hang, or a runaway allocation.</summary>
public class TemplateErrorTests
{
    [Theory]
    [InlineData("{% if x %}\nabc\n{% endfor %}", 3, "'endfor'")]
    [InlineData("line1\n{% for x in y %}\nbody", 3, "expected '{% endfor %}' or '{% else %}'")]
    [InlineData("a\n\n{{ x", 3, "never closed")]
    [InlineData("{{ 'abc }}", 1, "unterminated string")]
    [InlineData("ok\n{% frobnicate %}", 2, "unknown tag 'frobnicate'")]
    [InlineData("{{ 1 + }}", 1, "unexpected end of print statement")]
    [InlineData("{{ x ) }}", 1, "unexpected ')'")]
    [InlineData("\n{% break %}", 2, "'break' outside of a loop")]
    [InlineData("{% for x in y %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", 1, "'continue' outside of a loop")]
    [InlineData("{% include 'other.jinja' %}", 1, "'include' tag is not supported")]
    [InlineData("{% set 1 = 2 %}", 1, "can only assign to names")]
    [InlineData("{% macro m(a=1, b) %}{% endmacro %}", 1, "non-default argument follows default argument")]
    [InlineData("{{ x is defined is defined }}", 1, "cannot chain multiple tests")]
    public void SyntaxErrorsNameTheProblemAndLine(string template, int line, string reasonPart)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(template));
        Assert.Equal(TemplateErrorKind.Syntax, error.Kind);
        Assert.Equal(line, error.Line);
        Assert.Contains(reasonPart, error.Reason);
        Assert.Contains($"line {line}", error.Message);
    }

    [Theory]
    [InlineData("line1\nline2\n{{ x.y.z }}", """{"x": {}}""", 3, "'dict object' has no attribute 'y'")]
    [InlineData("{% for m in messages %}\n  {{ m.content + 1 }}\n{% endfor %}", """{"messages": [{"content": "a"}]}""", 2, "can only concatenate str (not \"int\") to str")]
    [InlineData("{{ undefinedvar + 1 }}", "{}", 1, "'undefinedvar' is undefined")]
    [InlineData("{{ 1 + 'a' }}", "{}", 1, "unsupported operand type(s) for +: 'int' and 'str'")]
    [InlineData("{{ 1 + 2 ~ 3 }}", "{}", 1, "unsupported operand type(s) for +: 'int' and 'str'")] // ~ binds tighter than +
    [InlineData("{{ 10 / 0 }}", "{}", 1, "division by zero")]
    [InlineData("{{ 5 is divisibleby 0 }}", "{}", 1, "integer modulo by zero")]
    [InlineData("\n{{ x | nosuchfilter }}", "{}", 2, "no filter named 'nosuchfilter'")]
    [InlineData("{{ x is nosuchtest }}", "{}", 1, "no test named 'nosuchtest'")]
    [InlineData("{% for a, b in [[1, 2, 3]] %}{% endfor %}", "{}", 1, "too many values to unpack (expected 2)")]
    [InlineData("{% for x in none %}{% endfor %}", "{}", 1, "'NoneType' object is not iterable")]
    [InlineData("{% set d = {'a': 1} %}{% set d.a = 2 %}", "{}", 1, "cannot assign attribute on non-namespace object 'd'")]
    [InlineData("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "{}", 1, "macro 'm' takes not more than 1 argument(s)")]
    [InlineData("{% macro m(a) %}{% endmacro %}{{ m(b=2) }}", "{}", 1, "macro 'm' takes no keyword argument 'b'")]
    [InlineData("{{ undefined_x | tojson }}", "{}", 1, "Object of type Undefined is not JSON serializable")]
    [InlineData("{{ 'x'.strip(1) }}", "{}", 1, "strip() argument must be str or None, not int")]
    [InlineData("{{ 'abc'.nosuchmethod() }}", "{}", 1, "'str object' has no attribute 'nosuchmethod'")]
    [InlineData("{{ raise_exception() }}", "{}", 1, "raise_exception() missing 1 required positional argument: 'message'")]
    public void RuntimeErrorsNameTheProblemAndLine(string template, string variables, int line, string reason)
    {
        var error = RenderError(template, variables);
        Assert.Equal(TemplateErrorKind.Runtime, error.Kind);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(line, error.Line);
    }

    [Fact]
    public void RaiseExceptionCarriesTheTemplatesMessageAndLine()
    {
        var error = RenderError("{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}\n{% endfor %}",
            """{"messages": [{"role": "system"}]}""");
        Assert.Equal(TemplateErrorKind.Raised, error.Kind);
        Assert.Equal("System role not supported", error.Reason);
        Assert.Equal(3, error.Line);
        Assert.Equal("template raised an exception on line 3: System role not supported", error.Message);
    }

    [Theory]
    [InlineData("{{ x.append(1) }}", """{"x": []}""", "append")]
    [InlineData("{{ d.update({}) }}", """{"d": {}}""", "update")]
    [InlineData("{{ d.pop('a') }}", """{"d": {"a": 1}}""", "pop")]
    public void MutatingMethodsAreRefusedAsInTheSandbox(string template, string variables, string method) =>
        Assert.StartsWith($"access to attribute '{method}'", RenderError(template, variables).Reason);

    [Fact]
    public void RunawayRecursionFailsCleanly() =>
        Assert.Contains("nest", RenderError("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").Reason);

    [Theory]
    [InlineData("{{ range(100001) | length }}", "range too big")]
    [InlineData("{{ 'a' * 1000000000 }}", "too large")]
    [InlineData("{{ [1, 2] * 100000000 }}", "too large")]
    [InlineData("{{ 'x' | center(100000000) }}", "too large")]
    [InlineData("{{ 2 ** 64 }}", "integer overflow")]
    public void HugeAllocationsAreRefused(string template, string reasonPart) =>
        Assert.Contains(reasonPart, RenderError(template).Reason);

    [Theory]
    [InlineData("[", "]")]
    [InlineData("(", ")")]
    [InlineData("not ", "")]
    [InlineData("- ", "")]
    [InlineData("{% if x %}", "{% endif %}")]
    public void DeeplyNestedTemplatesAreRefusedWithoutStackOverflow(string open, string close)
    {
        var source = "{{ " + string.Concat(Enumerable.Repeat(open, 100_000)) + "1" + string.Concat(Enumerable.Repeat(close, 100_000)) + " }}";
        if (open.StartsWith("{%")) source = string.Concat(Enumerable.Repeat(open, 100_000)) + string.Concat(Enumerable.Repeat(close, 100_000));
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal(TemplateErrorKind.Syntax, error.Kind);
        Assert.Contains("nested more than", error.Reason);
    }

    [Theory]
    [InlineData("{{ ns.x }}")]
    [InlineData("{{ ns.x | tojson }}")]
    [InlineData("{{ ns.x == ns.y }}")]
    [InlineData("{{ ns.x < ns.y }}")]
    public void ValuesNestedThousandsDeepFailCleanly(string use)
    {
        var build = "{% set ns = namespace(x=[], y=[]) %}{% for i in range(3000) %}{% set ns.x = [ns.x] %}{% set ns.y = [ns.y] %}{% endfor %}";
        Assert.Contains("nested", RenderError(build + use).Reason);
    }

    [Fact]
    public void MacrosMayNestAsDeepAsPythonJinjaAllows() =>
        Assert.Equal(new string('x', 150), Render(
            "{% macro f(n) %}{% for i in [1] %}{% if n > 0 %}{% set s %}x{{ f(n - 1) }}{% endset %}{{ s }}{% endif %}{% endfor %}{% endmacro %}{{ f(150) }}"));
}
