using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>Jinja's built-in filters and transformers' tojson.</summary>
public class FilterTests
{
    const string Tools = """
        {"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather — «now»",
          "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "n": {"type": "integer", "default": 3},
          "x": {"type": "number", "default": 1.5}, "e": {"type": "array", "items": {}}, "o": {}}, "required": ["location"]}}}]}
        """;

    [Fact]
    public void TojsonIsPythonJsonDumpsWithoutAsciiOrHtmlEscaping() =>
        Assert.Equal("""[{"type": "function", "function": {"name": "get_weather", "description": "Get the weather — «now»", "parameters": {"type": "object", "properties": {"location": {"type": "string"}, "n": {"type": "integer", "default": 3}, "x": {"type": "number", "default": 1.5}, "e": {"type": "array", "items": {}}, "o": {}}, "required": ["location"]}}}]""",
            Render("{{ tools | tojson }}", Tools));

    [Fact]
    public void TojsonIndentsLikePython() =>
        Assert.Equal("{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the weather — «now»\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"location\": {\n                    \"type\": \"string\"\n                },\n                \"n\": {\n                    \"type\": \"integer\",\n                    \"default\": 3\n                },\n                \"x\": {\n                    \"type\": \"number\",\n                    \"default\": 1.5\n                },\n                \"e\": {\n                    \"type\": \"array\",\n                    \"items\": {}\n                },\n                \"o\": {}\n            },\n            \"required\": [\n                \"location\"\n            ]\n        }\n    }\n}",
            Render("{{ tools[0] | tojson(indent=4) }}", Tools));

    [Fact]
    public void TojsonSortsKeysAndTakesSeparatorsAndStringIndents()
    {
        Assert.Equal("{\n  \"function\": {\n    \"description\": \"Get the weather — «now»\",\n    \"name\": \"get_weather\",\n    \"parameters\": {\n      \"properties\": {\n        \"e\": {\n          \"items\": {},\n          \"type\": \"array\"\n        },\n        \"location\": {\n          \"type\": \"string\"\n        },\n        \"n\": {\n          \"default\": 3,\n          \"type\": \"integer\"\n        },\n        \"o\": {},\n        \"x\": {\n          \"default\": 1.5,\n          \"type\": \"number\"\n        }\n      },\n      \"required\": [\n        \"location\"\n      ],\n      \"type\": \"object\"\n    }\n  },\n  \"type\": \"function\"\n}",
            Render("{{ tools[0] | tojson(indent=2, sort_keys=true) }}", Tools));
        Assert.Equal("{\"a\":1,\"b\":[1,2]}", Render("{{ {'a': 1, 'b': [1, 2]} | tojson(separators=(',', ':')) }}"));
        Assert.Equal("{\n\t\"a\": [\n\t\t1\n\t]\n}", Render("{{ x | tojson(indent='\\t') }}", """{"x": {"a": [1]}}"""));
        Assert.Equal("[] {} [\n  []\n]", Render("{{ [] | tojson(indent=2) }} {{ {} | tojson(indent=2) }} {{ [[]] | tojson(indent=2) }}"));
    }

    [Theory]
    [InlineData("{{ 'é\"\\\\\\n\\t\\u0001\\u007f\\u2028😀' | tojson }}", "\"é\\\"\\\\\\n\\t\\u0001\u007f\u2028😀\"")]
    [InlineData("{{ 'é😀' | tojson(ensure_ascii=true) }}", "\"\\u00e9\\ud83d\\ude00\"")]
    [InlineData("{{ [1.0, 1e20, 0.1, -0.0, 3, true, none, 1e-7] | tojson }}", "[1.0, 1e+20, 0.1, -0.0, 3, true, null, 1e-07]")]
    [InlineData("{{ {1: 'a', true: 'b', none: 'c', 2.5: 'd'} | tojson }}", "{\"1\": \"b\", \"null\": \"c\", \"2.5\": \"d\"}")]
    [InlineData("{{ (1, 2) | tojson }}", "[1, 2]")]
    public void TojsonEscapesAndNumbersMatchPython(string template, string expected) => Assert.Equal(expected, Render(template));

    [Theory]
    [InlineData("{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}|{{ '\\u3000 hi \\x1c' | trim }}|", "hi|hi|hi|")]
    [InlineData("{{ 'hello world' | upper }} {{ 'HeLLo' | lower }} {{ 'hello wORLD-foo(bar' | title }} {{ 'hello World' | capitalize }}", "HELLO WORLD hello Hello World-Foo(Bar Hello world")]
    [InlineData("{{ \"hello's world\" | title }}", "Hello's World")]
    [InlineData("{{ 'abc' | replace('b', 'X') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'abc' | replace('', '-') }}", "aXc bba -a-b-c-")]
    [InlineData("[{{ 'abc' | center(9) }}] [{{ 'abc' | center(8) }}] [{{ 'ab' | center(7) }}]", "[   abc   ] [  abc   ] [   ab  ]")]
    [InlineData("{{ 42 | string }} {{ [1] | string }} {{ none | string }} {{ 'x' | safe }}", "42 [1] None x")]
    [InlineData("{{ '<a href=\"x\">&\\'' | escape }} {{ '<b>' | e }}", "&lt;a href=&#34;x&#34;&gt;&amp;&#39; &lt;b&gt;")]
    [InlineData("{{ 'hello world foo' | wordcount }} {{ 'a-b c_d' | wordcount }}", "3 3")]
    public void StringFilters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void IndentLeavesTheFirstAndBlankLinesUnlessAsked() =>
        Assert.Equal("a\n    b\n\n    c|  a\n  b\n\n  c|a\n  b\n  \n  c|a\n> b|    |x\n|",
            Render("{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb\\n\\nc' | indent(2, true) }}|{{ 'a\\nb\\n\\nc' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('> ') }}|{{ '' | indent(first=true) }}|{{ 'x\\n' | indent }}|"));

    [Fact]
    public void TruncateCutsAtWordsWithLeeway() =>
        Assert.Equal("The quick...|The quick br...|short|The quick…",
            Render("{{ 'The quick brown fox jumps over' | truncate(15) }}|{{ 'The quick brown fox jumps' | truncate(15, true) }}|{{ 'short' | truncate(15) }}|{{ 'The quick brown fox jumps over' | truncate(15, end='…') }}"));

    [Theory]
    [InlineData("{{ 'hello' | length }} {{ [1, 2] | count }} {{ {'a': 1} | length }} {{ undefined_x | length }}", "5 2 1 0")]
    [InlineData("{{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'abc' | first }} {{ 'abc' | last }} {{ [] | first }}| {{ {'k': 1, 'j': 2} | first }}", "3 2 a c | k")]
    [InlineData("{{ 'abc' | list }} {{ {'a': 1} | list }} {{ (1, 2) | list }}", "['a', 'b', 'c'] ['a'] [1, 2]")]
    [InlineData("{{ [1, 2, 3] | reverse | list }} {{ 'abc' | reverse }}", "[3, 2, 1] cba")]
    [InlineData("{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ [1, 2, 3] | batch(2, 'x') | list }}", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 'x']]")]
    public void SequenceFilters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void DefaultReplacesUndefinedOrWithBooleanFalsyValues() =>
        Assert.Equal("d None  d z |", Render("{{ x | default('d') }} {{ none | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ 0 | d('z', boolean=true) }} {{ undefined_x | d }}|"));

    [Fact]
    public void JoinConvertsItemsAndReadsAttributes() =>
        Assert.Equal("1, 2, 3 a-b-c 1Nonex a, b",
            Render("{{ [1, 2, 3] | join(', ') }} {{ 'abc' | join('-') }} {{ [1, none, 'x'] | join }} {{ users | join(', ', attribute='name') }}",
                """{"users": [{"name": "a"}, {"name": "b"}]}"""));

    [Fact]
    public void SortUniqueMinMaxIgnoreCaseByDefaultAndSortIsStable()
    {
        Assert.Equal("[1, 2, 3] ['A', 'b', 'c'] ['A', 'b', 'c'] [3, 2, 1] ['b', 'a', 'c']",
            Render("{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }} {{ [3, 1, 2] | sort(reverse=true) }} {{ users | sort(attribute='age') | map(attribute='name') | list }}",
                """{"users": [{"name": "a", "age": 3}, {"name": "b", "age": 1}, {"name": "c", "age": 3}]}"""));
        Assert.Equal("['a', 'b'] ['a', 'A'] [1, 2]", Render("{{ ['a', 'A', 'b', 'a'] | unique | list }} {{ ['a', 'A'] | unique(case_sensitive=true) | list }} {{ [1, 2, 1] | unique | list }}"));
        Assert.Equal("3 1 b |", Render("{{ [3, 1, 2] | max }} {{ [3, 1, 2] | min }} {{ ['b', 'A'] | max }} {{ [] | max }}|"));
    }

    [Fact]
    public void DictsortAndItems()
    {
        Assert.Equal("[('A', 3), ('b', 2), ('c', 1)] [('c', 1), ('b', 2), ('A', 3)] [('c', 1), ('b', 2), ('A', 3)]",
            Render("{{ d | dictsort }} {{ d | dictsort(by='value') }} {{ d | dictsort(reverse=true) }}", """{"d": {"b": 2, "A": 3, "c": 1}}"""));
        Assert.Equal("[('b', 2), ('a', 1)] []", Render("{{ d | items | list }} {{ undefined_x | items | list }}", """{"d": {"b": 2, "a": 1}}"""));
    }

    [Fact]
    public void SelectattrAndRejectattrTestAttributes()
    {
        Assert.Equal("a b,c", Render("{{ users | selectattr('active') | map(attribute='name') | join(',') }} {{ users | rejectattr('active') | map(attribute='name') | join(',') }}",
            """{"users": [{"name": "a", "active": true}, {"name": "b", "active": false}, {"name": "c"}]}"""));
        Assert.Equal("2 2 ['assistant']", Render("{{ users | selectattr('role', 'equalto', 'user') | list | length }} {{ users | selectattr('role', '==', 'user') | list | length }} {{ users | rejectattr('role', 'eq', 'user') | map(attribute='role') | list }}",
            """{"users": [{"role": "user"}, {"role": "assistant"}, {"role": "user"}]}"""));
    }

    [Fact]
    public void SelectRejectAndMapApplyTestsAndFilters()
    {
        Assert.Equal("[1, 3] [2, 4] [1, 'a'] [5, 10] [5, 10]",
            Render("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ [1, 5, 10] | select('gt', 3) | list }} {{ [1, 5, 10] | select('divisibleby', 5) | list }}"));
        Assert.Equal("['A', 'B'] ['a_b', 'c'] ['?', 1] ['a', 'b']",
            Render("{{ ['a', 'b'] | map('upper') | list }} {{ ['a b', 'c'] | map('replace', ' ', '_') | list }} {{ users | map(attribute='x', default='?') | list }} {{ users | map(attribute='name') | list }}",
                """{"users": [{"name": "a"}, {"name": "b", "x": 1}]}"""));
        Assert.Equal("['t1']", Render("{{ msgs | map(attribute='content.0.text') | list }}", """{"msgs": [{"content": [{"text": "t1"}]}]}"""));
    }

    [Theory]
    [InlineData("{{ '42' | int }} {{ '42.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }}", "42 42 0 7 3")]
    [InlineData("{{ '0x1A' | int(base=16) }} {{ ' 12 ' | int }} {{ true | int }} {{ none | int }} {{ '1_000' | int }}", "26 12 1 0 1000")]
    [InlineData("{{ '4.5' | float }} {{ 'x' | float }} {{ 3 | float }} {{ '1e3' | float }} {{ 'inf' | float }} {{ 'x' | float(1.5) }}", "4.5 0.0 3.0 1000.0 inf 1.5")]
    [InlineData("{{ -3 | abs }} {{ -3.5 | abs }} {{ (-3) | abs }}", "3 3.5 3")]
    [InlineData("{{ [1, 2, 3] | sum }} {{ [1.5, 2] | sum }} {{ [[1], [2]] | sum(start=[]) }}", "6 3.5 [1, 2]")]
    public void NumberConversionFilters(string template, string expected) => Assert.Equal(expected, Render(template));

    [Fact]
    public void RoundIsPythonsHalfToEvenOnTheExactValue() =>
        Assert.Equal("2.0 4.0 2.67 3 3.0 2.0 1200.0 -2.0 0.12",
            Render("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 3 | round }} {{ 2.1 | round(method='ceil') }} {{ 2.9 | round(method='floor') }} {{ 1234.5678 | round(-2) }} {{ -2.5 | round }} {{ 0.125 | round(2) }}"));
}
