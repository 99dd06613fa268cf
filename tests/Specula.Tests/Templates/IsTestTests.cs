using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary><c>value is test</c>, with Python's type rules.</summary>
public class IsTestTests
{
    [Theory]
    [InlineData("{{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 'a' is number }}", "True True True False")]
    [InlineData("{{ 1 is integer }} {{ true is integer }} {{ 1.0 is integer }} {{ 1.0 is float }}", "True False False True")]
    [InlineData("{{ true is boolean }} {{ 1 is boolean }}", "True False")]
    [InlineData("{{ 'a' is string }} {{ 1 is string }} {{ {} is mapping }} {{ [] is mapping }}", "True False True False")]
    [InlineData("{{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ u is iterable }} {{ none is iterable }}", "True True False True False")]
    [InlineData("{{ [] is sequence }} {{ 'a' is sequence }} {{ {} is sequence }} {{ 1 is sequence }} {{ u is sequence }}", "True True True False True")]
    public void TypeTests(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void NoneTrueFalseTestIdentityNotTruthiness() =>
        Assert.Equal("True False True False True False True True",
            Render("{{ none is none }} {{ 0 is none }} {{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ x is true }} {{ x is not false }}", """{"x": true}"""));

    [Fact]
    public void DefinedDistinguishesMissingFromNone() =>
        Assert.Equal("False True True True False", Render("{{ x is defined }} {{ x is undefined }} {{ y is defined }} {{ y is none }} {{ y is not none }}", """{"y": null}"""));

    [Fact]
    public void ComparisonTestsTakeAnArgumentWithOrWithoutParentheses() =>
        Assert.Equal("True True True False True True True False True True True True False True False",
            Render("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 2 is in [1, 2] }} {{ 'a' is in 'cat' }} {{ 2 is eq 2 }} {{ 2 is equalto 3 }} {{ 2 is ne 3 }} {{ 3 is gt 2 }} {{ 3 is ge 3 }} {{ 2 is lt 3 }} {{ 2 is le 1 }} {{ 2 is lessthan 3 }} {{ 2 is greaterthan 3 }}"));

    [Fact]
    public void CaseIdentityCallableAndNameTests() =>
        Assert.Equal("True True True True False True False True True False",
            Render("{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ none is sameas none }} {{ 1 is sameas 1 }} {{ f is callable }} {{ 'upper' is filter }} {{ 'nope' is filter }} {{ 'odd' is test }} {{ range is callable }} {{ 'x' is escaped }}", """{"f": null}"""));

    [Fact]
    public void TestsBindTighterThanNotAndAnd() =>
        Assert.Equal("yes", Render("{% if not x is defined and y is not none %}yes{% endif %}", """{"y": 1}"""));
}
