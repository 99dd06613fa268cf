using Xunit;
using static Specula.Tests.Templates.TemplateTestHelper;

namespace Specula.Tests.Templates;

/// <summary>printf-style <c>%</c> (operator and <c>format</c> filter) and <c>str.format</c>.</summary>
public class FormattingTests
{
    [Fact]
    public void FormatFilterIsPrintfStyle() =>
        Assert.Equal("a and b 1! 50%  3.14|42   |00042|ff|FF|10|1.234568e+04|0.0001|'q'|+5| 5",
            Render("{{ '%s and %s' | format('a', 'b') }} {{ '%(x)s!' | format(x=1) }} {{ '%d%%' | format(50) }} {{ '%5.2f|%-5d|%05d|%x|%X|%o|%e|%g|%r|%+d|% d' | format(3.14159, 42, 42, 255, 255, 8, 12345.678, 0.0001, 'q', 5, 5) }}"));

    [Fact]
    public void PercentOperatorFormatsLikePython() =>
        Assert.Equal("x 1-2 abc          r| l         | Ab [1, 2] 1 3 0 2 2 0.00e+00 100000 1e+06 1e-05 0xff 0o10",
            Render("{{ '%s' % 'x' }} {{ '%s-%s' % (1, 2) }} {{ '%.3s' % 'abcdef' }} {{ '%10s|' % 'r' }} {{ '%-10s|' % 'l' }} {{ '%c%c' % (65, 'b') }} {{ '%s' % [1, 2] }} {{ '%(a)s' % {'a': 1} }} {{ '%i' % 3.7 }} {{ '%.0f %.0f %.0f' % (0.5, 1.5, 2.5) }} {{ '%.2e' % 0 }} {{ '%g %g %g' % (100000, 1000000, 1e-5) }} {{ '%#x %#o' % (255, 8) }}"));

    [Theory]
    [InlineData("{{ '%d' % 'x' }}", "%d format: a real number is required, not str")]
    [InlineData("{{ '%s %s' % ('a',) }}", "not enough arguments for format string")]
    [InlineData("{{ '%s' % ('a', 'b') }}", "not all arguments converted during string formatting")]
    public void PercentFormattingArgumentErrorsAreReported(string template, string reason) =>
        Assert.Equal(reason, RenderError(template).Reason);

    [Fact]
    public void StrFormatHandlesFieldsConversionsAndSpecs() =>
        Assert.Equal("a 1 xyx n!     a|b    |  c  |***d*** 3.14    42 00042 1,234,567 ff 1.234500e+03 25.000000% {} 'q' 1 7 1e+20 1.5 1.23e+03",
            Render("{{ '{} {}'.format('a', 1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='n') }} {{ '{:>5}|{:<5}|{:^5}|{:*^7}'.format('a', 'b', 'c', 'd') }} {{ '{:.2f} {:5d} {:05d} {:,} {:x} {:e} {:%}'.format(3.14159, 42, 42, 1234567, 255, 1234.5, 0.25) }} {{ '{{}} {!r}'.format('q') }} {{ '{0[a]} {1.x}'.format({'a': 1}, ns) }} {{ '{:g} {} {:.3}'.format(1e20, 1.5, 1234.5) }}",
                """{"ns": {"x": 7}}"""));
}
