using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>for / if / set / macro / call / filter / with, and Jinja's scoping rules.</summary>
public class StatementTests
{
    [Fact]
    public void LoopVariableReportsPosition() =>
        Assert.Equal("1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;",
            Render("{% for x in [1,2,3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}"));

    [Fact]
    public void LoopNeighboursCycleAndChanged()
    {
        Assert.Equal("-2 1-3 2- ", Render("{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }} {% endfor %}"));
        Assert.Equal("aba", Render("{% for x in [1,2,3] %}{{ loop.cycle('a', 'b') }}{% endfor %}"));
        Assert.Equal("TrueFalseTrue", Render("{% for x in [1,1,2] %}{{ loop.changed(x) }}{% endfor %}"));
    }

    [Theory]
    [InlineData("{% for x in [] %}a{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in undefined_list %}x{% else %}none{% endfor %}", "none")]
    [InlineData("{% for x in [1, 3] if x is even %}x{% else %}filtered out{% endfor %}", "filtered out")]
    public void ElseRunsWhenTheLoopRanNoIteration(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void InlineFilterSkipsItemsAndLoopCountsOnlyTheKeptOnes() =>
        Assert.Equal("21/2 42/2 ", Render("{% for x in [1,2,3,4] if x is even %}{{ x }}{{ loop.index }}/{{ loop.length }} {% endfor %}"));

    [Theory]
    [InlineData("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", """{"d": {"b": 1, "a": 2}}""", "b=1;a=2;")]
    [InlineData("{% for k in d %}{{ k }}{% endfor %}", """{"d": {"b": 1, "a": 2}}""", "ba")]
    [InlineData("{% for c in 'abc' %}{{ c }}-{% endfor %}", "{}", "a-b-c-")]
    [InlineData("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", "{}", "37")]
    [InlineData("{% for k, v in d|dictsort %}{{ k }}{{ v }}{% endfor %}", """{"d": {"b": 1, "a": 2}}""", "a2b1")]
    public void LoopsUnpackTuplesAndIterateDictsAndStrings(string template, string variables, string expected) =>
        Assert.Equal(expected, Render(template, variables));

    [Fact]
    public void BreakAndContinueControlTheInnermostLoop()
    {
        Assert.Equal("13", Render("{% for x in [1,2,3,4,5] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
        Assert.Equal("1a1b|2a2b|", Render("{% for i in [1, 2] %}{% for c in 'abc' %}{% if c == 'c' %}{% break %}{% endif %}{{ i }}{{ c }}{% endfor %}|{% endfor %}"));
    }

    [Fact]
    public void NestedLoopsEachHaveTheirOwnLoopVariable() =>
        Assert.Equal("113 214 1|123 224 2|", Render("{% for a in [1,2] %}{% for b in [3,4] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}"));

    [Fact]
    public void RecursiveLoopsCallLoopWithChildren()
    {
        Assert.Equal("a[bc]d", Render("{% for x in items recursive %}{{ x.name }}{% if x.children %}[{{ loop(x.children) }}]{% endif %}{% endfor %}",
            """{"items": [{"name": "a", "children": [{"name": "b", "children": []}, {"name": "c"}]}, {"name": "d"}]}"""));
        Assert.Equal("1021", Render("{% for x in items recursive %}{{ loop.depth }}{{ loop.depth0 }}{% if x.c %}{{ loop(x.c) }}{% endif %}{% endfor %}",
            """{"items": [{"c": [{"c": []}]}]}"""));
    }

    [Fact]
    public void SetInsideALoopDoesNotLeakOutOrIntoTheNextIteration()
    {
        Assert.Equal("21", Render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"));
        Assert.Equal("", Render("{% for i in [1, 2] %}{% if i == 2 %}{{ y }}{% endif %}{% set y = i %}{% endfor %}"));
    }

    [Fact]
    public void SetInsideIfAssignsTheEnclosingScope() =>
        Assert.Equal("b", Render("{% set x = 'a' %}{% if true %}{% set x = 'b' %}{% endif %}{{ x }}"));

    [Fact]
    public void NamespaceCarriesValuesOutOfLoops()
    {
        Assert.Equal("3", Render("{% set ns = namespace(count=0) %}{% for i in range(3) %}{% set ns.count = ns.count + i %}{% endfor %}{{ ns.count }}"));
        Assert.Equal("1 |<Namespace {'a': 1}>", Render("{% set ns = namespace() %}{% set ns.a = 1 %}{{ ns.a }} {{ ns.b }}|{{ ns }}"));
        Assert.Equal("12", Render("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}"));
    }

    [Theory]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}", "12")]
    [InlineData("{% set x = 1, 2 %}{{ x }}", "(1, 2)")]
    [InlineData("{% set x %}block {{ 1 + 1 }}{% endset %}[{{ x }}]", "[block 2]")]
    [InlineData("{% set x | upper %}block{% endset %}{{ x }}", "BLOCK")]
    public void SetAssignsTuplesAndBlocks(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void MacrosTakeDefaultsKeywordsAndExtraArguments()
    {
        Assert.Equal("Hello, Bob! Hi, Al! Hello, Z!",
            Render("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }} {{ greet(name='Z') }}"));
        Assert.Equal("1(2, 3){'k': 4}", Render("{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"));
        Assert.Equal("[1|]", Render("{% macro m(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}{{ m(1) }}"));
        Assert.Equal("x\nx\n", Render("{% macro m() %}x\n{% endmacro %}{{ m() }}{{ m() }}"));
    }

    [Fact]
    public void MacrosCanRecurse() =>
        Assert.Equal("321", Render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}"));

    [Fact]
    public void CallBlocksPassTheirBodyAsCaller()
    {
        Assert.Equal("<inside>", Render("{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inside{% endcall %}"));
        Assert.Equal("[1][2]", Render("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}"));
    }

    [Fact]
    public void FilterBlocksFilterTheirBody()
    {
        Assert.Equal("HELLO X", Render("{% filter upper %}hello {{ 'x' }}{% endfilter %}"));
        Assert.Equal("BBNBNB", Render("{% filter replace('a', 'b') | upper %}banana{% endfilter %}"));
    }

    [Fact]
    public void WithScopesItsAssignments() =>
        Assert.Equal("3", Render("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}"));

    [Fact]
    public void GenerationBlockPrintsItsBodyInItsOwnScope() =>
        Assert.Equal("<b>a", Render("{% set x = 'a' %}{% generation %}<{% set x = 'b' %}{{ x }}>{% endgeneration %}{{ x }}"));

    [Fact]
    public void CallerMacroVariablesDoNotLeak() =>
        Assert.Equal("b|a", Render("{% set x = 'a' %}{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}{% set x = 'b' %}{{ x }}{% endcall %}|{{ x }}"));
}
