using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>Python str/dict/list methods called from templates.</summary>
public class MethodTests
{
    [Fact]
    public void StripAndSplitFollowPython() =>
        Assert.Equal("a b|a|a|a|x\n|['a', 'b', 'c'] ['a', 'b'] ['a', 'b,c'] ['a,b', 'c'] [' a', 'b'] [] ['']",
            Render("{{ ' a b '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a'.lstrip() }}|{{ 'a  '.rstrip() }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ 'aXbXc'.split('X') }} {{ ' a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ' a  b '.rsplit(None, 1) }} {{ ''.split() }} {{ ''.split(',') }}"));

    [Fact]
    public void ReasoningIsSplitOutAsQwen3Does() =>
        Assert.Equal("[The user greets me.][Hello!]",
            Render("{% set c = m.split('</think>')[-1].lstrip('\\n') %}{% set r = m.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}[{{ r }}][{{ c }}]",
                """{"m": "<think>\nThe user greets me.\n</think>\n\nHello!"}"""));

    [Fact]
    public void StartswithAndEndswithTakeTuplesAndPositions() =>
        Assert.Equal("True True True True True",
            Render("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.startswith('l', 2) }} {{ 'hello'.endswith('l', 0, 4) }}"));

    [Fact]
    public void SearchCaseAndJoinMethods() =>
        Assert.Equal("a+b 2 3 -1 2 a, b HIhi Hello World Hello Ab",
            Render("{{ 'a-b'.replace('-', '+') }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ ', '.join(['a', 'b']) }} {{ 'Hi'.upper() }}{{ 'Hi'.lower() }} {{ 'hello world'.title() }} {{ 'hELLO'.capitalize() }} {{ 'aB'.swapcase() }}"));

    [Fact]
    public void PythonTitleDiffersFromTheTitleFilter() =>
        Assert.Equal("Hello's World Hello'S World A1B2 C", Render("{{ \"hello's world\" | title }} {{ \"hello's world\".title() }} {{ 'a1b2 c' .title() }}"));

    [Fact]
    public void ClassificationAndPaddingMethods() =>
        Assert.Equal("['a', 'b', 'c'] True True True True True True False 005 -05 a  | ..a x",
            Render("{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ 'a1'.isalnum() }} {{ '  '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ ''.isdigit() }} {{ '5'.zfill(3) }} {{ '-5'.zfill(3) }} {{ 'a'.ljust(3) }}| {{ 'a'.rjust(3, '.') }} {{ 'prefix_x'.removeprefix('prefix_') }}"));

    [Fact]
    public void DictAndListMethods()
    {
        Assert.Equal("[('a', 1), ('b', 2)] ['a', 'b'] [1, 2] 1 None 5",
            Render("{{ m.items() | list }} {{ m.keys() | list }} {{ m.values() | list }} {{ m.get('a') }} {{ m.get('z') }} {{ m.get('z', 5) }}", """{"m": {"a": 1, "b": 2}}"""));
        Assert.Equal("1 2", Render("{{ [1, 2, 3].index(2) }} {{ [1, 2, 2].count(2) }}"));
    }
}
