using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>Literals, printing, operators and access, with Python's semantics.</summary>
public class ExpressionTests
{
    [Fact]
    public void NoneAndBooleansPrintAsPythonAndUndefinedPrintsNothing() =>
        Assert.Equal("None|None|True|False||", Render("{{ none }}|{{ None }}|{{ true }}|{{ False }}|{{ undefined_thing }}|"));

    [Theory]
    [InlineData("{{ 1 }} {{ -1 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }}", "1 -1 1000 31 15 5")]
    [InlineData("{{ 1.0 }} {{ 1.5 }} {{ 1e3 }} {{ 1e16 }} {{ 1.5e-5 }} {{ 0.0001 }}", "1.0 1.5 1000.0 1e+16 1.5e-05 0.0001")]
    [InlineData("{{ 0.1 + 0.2 }} {{ 1/3 }} {{ 2/2 }} {{ 10/4 }} {{ 1e300*1e10 }} {{ -0.0 }}", "0.30000000000000004 0.3333333333333333 1.0 2.5 inf -0.0")]
    [InlineData("{{ 123456789012345678.0 }}", "1.2345678901234568e+17")]
    public void NumbersPrintAsPythonPrintsThem(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}] }}", "[1, 'a', None, True, 1.5, [2], {'k': 'v'}]")]
    [InlineData("{{ (1,) }} {{ (1, 2) }} {{ () }} {{ {} }} {{ [] }}", "(1,) (1, 2) () {} []")]
    [InlineData("{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'bs\\\\'] }}",
        "[\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'bs\\\\']")]
    [InlineData("{{ ['é', '\\u00a0', '\\x01', '\\u200b', '😀'] }}", "['é', '\\xa0', '\\x01', '\\u200b', '😀']")]
    public void ContainersPrintAsPythonRepr(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void JsonObjectsKeepTheirKeyOrder() =>
        Assert.Equal("{'b': 1, 'a': [1, 2.5, None, True]}", Render("{{ x }}", """{"x": {"b": 1, "a": [1, 2.5, null, true]}}"""));

    [Theory]
    [InlineData("{{ 'a' 'b' \"c\" }}", "abc")]
    [InlineData("{{ '\\x41\\u0042\\U00000043\\101' }} {{ '\\d' }}", "ABCA \\d")]
    [InlineData("{{ 'it\\'s' }}", "it's")]
    public void StringLiteralsDecodePythonEscapesAndConcatenate(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }}", "3 -4 1 2 -2")]
    [InlineData("{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ -2 ** 2 }}", "1024 0.5 3.0 0.5 4")]
    [InlineData("{{ 2 ** 0.5 }} {{ 4 ** 0.5 }} {{ 10 % 3.5 }}", "1.4142135623730951 2.0 3.0")]
    [InlineData("{{ 1 + 2 * 3 - 4 / 2 }} {{ (1 + 2) * 3 }}", "5.0 9")]
    [InlineData("{{ true + 1 }} {{ true * 3 }}", "2 3")]
    public void ArithmeticFollowsPython(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 'ab' * 3 }} {{ 3 * 'ab' }} {{ [1] * 3 }} [{{ 'a' * 0 }}] {{ 'a' + 'b' }} {{ [1] + [2] }}", "ababab ababab [1, 1, 1] [] ab [1, 2]")]
    [InlineData("{{ 1 ~ 2 ~ 'x' }} {{ (1 + 2) ~ 3 }} {{ 'a' ~ none ~ true ~ undefinedvar }}", "12x 33 aNoneTrue")]
    public void SequencesConcatenateAndRepeat(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' == 'a' }} {{ [1,2] == [1,2] }} {{ (1,2) == [1,2] }}", "True True True True False")]
    [InlineData("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 != 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2.0 }}", "True False True True True True")]
    [InlineData("{{ 'a' in 'cat' }} {{ 'x' not in 'cat' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'v' in {'k': 'v'} }} {{ 3 not in [1] }}", "True True True True False True")]
    public void ComparisonsChainAndInTestsSubstringsItemsAndKeys(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ 1 and 2 }} {{ 0 and 2 }} {{ 0 or 'x' }} {{ '' or [] }}", "2 0 x []")]
    [InlineData("{{ not 0 }} {{ not [] }} {{ not 'a' }}", "True True False")]
    [InlineData("{% if 0 %}a{% elif '' %}b{% elif [1] %}c{% else %}d{% endif %}", "c")]
    public void LogicReturnsOperandsAndUsesPythonTruthiness(string template, string expected) =>
        Assert.Equal(expected, Render(template));

    [Fact]
    public void InlineIfWithoutElseIsUndefined() =>
        Assert.Equal("yes no [] b", Render("{{ 'yes' if 1 else 'no' }} {{ 'yes' if 0 else 'no' }} [{{ 'yes' if 0 }}] {{ 'a' if 0 else 'b' if 1 else 'c' }}"));

    [Fact]
    public void UnaryMinusAndPlus() => Assert.Equal("-3 3 -3 -2.5", Render("{{ -x }} {{ +x }} {{ -(3) }} {{ - 2.5 }}", """{"x": 3}"""));

    [Theory]
    [InlineData("{{ 'hello'[1] }} {{ 'hello'[-1] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }}", "e o el olleh")]
    [InlineData("{{ 'hello'[::2] }} {{ 'hello'[-3:] }} {{ 'hello'[:-1] }} [{{ 'hello'[10:] }}]", "hlo llo hell []")]
    [InlineData("{{ 'h😀llo'[1] }} {{ 'h😀llo'|length }} {{ 'h😀llo'[::-1] }} {{ 'h😀llo'[:2] }}", "😀 5 oll😀h h😀")]
    public void StringsIndexAndSliceByCodePoint(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void ListsSliceWithNegativeAndOutOfRangeBounds() =>
        Assert.Equal("[2, 3, 4] [1] [4, 3, 2, 1] 4 | [2, 4] [1, 2, 3, 4] [4, 3, 2]",
            Render("{{ x[1:] }} {{ x[:1] }} {{ x[::-1] }} {{ x[-1] }} {{ x[5] }}| {{ x[1::2] }} {{ x[-100:100] }} {{ x[3:0:-1] }}", """{"x": [1, 2, 3, 4]}"""));

    [Fact]
    public void DictKeysReadAsAttributesOrItems() =>
        Assert.Equal("user user |hi", Render("{{ m.role }} {{ m['role'] }} {{ m.missing }}|{{ m.content[0].text }}",
            """{"m": {"role": "user", "content": [{"text": "hi"}]}}"""));

    [Fact]
    public void DictMethodsWinOverKeysForAttributesButNotForItems()
    {
        Assert.Equal("5", Render("{{ d['items'] }}", """{"d": {"items": 5}}"""));
        Assert.StartsWith("<built-in method items", Render("{{ d.items }}", """{"d": {"items": 5}}"""));
    }

    [Theory]
    [InlineData("{{ x.0 }} {{ x.1.name }}", """{"x": ["a", {"name": "n"}]}""", "a n")]
    [InlineData("{{ (1, 2)[0] }} {{ [[1, 2], [3]][0][1] }}", "{}", "1 2")]
    [InlineData("{{ none.attr }}|", "{}", "|")]
    [InlineData("{{ m.missing is defined }} {{ m.role is defined }} {{ nothing is undefined }}", """{"m": {"role": "x"}}""", "False True True")]
    public void AttributeAndItemAccessOnMissingThingsIsUndefined(string template, string variables, string expected) =>
        Assert.Equal(expected, Render(template, variables));

    [Fact]
    public void FunctionsTakeKeywordArguments() =>
        Assert.Equal("1 {'a': 1, 'b': 2} {'a': 1}", Render("{{ namespace(a=1).a }} {{ dict(a=1, b=2) }} {{ dict([('a', 1)]) }}"));

    [Fact]
    public void RangeBuildsListsLikePython() =>
        Assert.Equal("01234 234 10741 [0, 1, 2]",
            Render("{% for i in range(5) %}{{ i }}{% endfor %} {% for i in range(2, 5) %}{{ i }}{% endfor %} {% for i in range(10, 0, -3) %}{{ i }}{% endfor %} {{ range(3) | list }}"));

    [Fact]
    public void StrftimeNowUsesTheContextClock() =>
        Assert.Equal("26 Jul 2024 2024-07-26 12:00:00 Friday July 208 PM 12 24 Fri 26 July",
            Render("{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %j %p %I %y %a') }} {{ strftime_now('%-d %B') }}"));
}
