using System.Text;
using Specula.Sampling;
using Xunit;

namespace Specula.Tests.Sampling;

public class StopStringMatcherTests
{
    /// <summary>Pushes the pieces in order and returns everything emitted (flushing at the end if no stop).</summary>
    static (string emitted, string? matched) Run(string[] stops, IEnumerable<string> pieces)
    {
        var matcher = new StopStringMatcher(stops);
        var output = new StringBuilder();
        foreach (string piece in pieces)
        {
            output.Append(matcher.Push(piece));
            if (matcher.IsStopped)
                return (output.ToString(), matcher.MatchedStopString);
        }
        output.Append(matcher.Flush());
        return (output.ToString(), null);
    }

    [Fact]
    public void TextPassesThroughUnchangedWithoutStopStrings()
    {
        var matcher = new StopStringMatcher([]);
        Assert.Equal("hello ", matcher.Push("hello ").ToString());
        Assert.Equal("world", matcher.Push("world").ToString());
        Assert.False(matcher.IsStopped);
        Assert.True(matcher.Flush().IsEmpty);
    }

    [Fact]
    public void StopInTheMiddleOfAPieceCutsTheStopAndEverythingAfter()
    {
        var matcher = new StopStringMatcher(["END"]);
        Assert.Equal("Hello ", matcher.Push("Hello END world").ToString());
        Assert.True(matcher.IsStopped);
        Assert.Equal("END", matcher.MatchedStopString);
        Assert.True(matcher.Flush().IsEmpty);
        Assert.Throws<InvalidOperationException>(() => matcher.Push("more"));
    }

    [Fact]
    public void StopSpanningSeveralPiecesIsHeldBackThenDropped()
    {
        var matcher = new StopStringMatcher(["END"]);
        Assert.Equal("Hel", matcher.Push("Hel").ToString());
        Assert.Equal("lo ", matcher.Push("lo E").ToString());
        Assert.Equal(1, matcher.HeldBackLength);
        Assert.Equal("", matcher.Push("N").ToString());
        Assert.Equal(2, matcher.HeldBackLength);
        Assert.False(matcher.IsStopped);
        Assert.Equal("", matcher.Push("D and more").ToString());
        Assert.True(matcher.IsStopped);
        Assert.Equal("END", matcher.MatchedStopString);
    }

    [Fact]
    public void HeldBackPrefixIsReleasedWhenItStopsMatching()
    {
        var matcher = new StopStringMatcher(["</s>"]);
        Assert.Equal("a", matcher.Push("a<").ToString());
        Assert.Equal("", matcher.Push("/").ToString());
        Assert.Equal(2, matcher.HeldBackLength);
        // "</x" cannot start "</s>" any more, but "x<" leaves a new possible start.
        Assert.Equal("</x", matcher.Push("x<").ToString());
        Assert.Equal(1, matcher.HeldBackLength);
        Assert.False(matcher.IsStopped);
        Assert.Equal("<", matcher.Flush().ToString());
    }

    [Fact]
    public void FirstOfSeveralStopStringsInTheTextWins()
    {
        Assert.Equal(("xx", "END"), Run(["STOP", "END"], ["xxENDyySTOP"]));
        Assert.Equal(("xx", "STOP"), Run(["STOP", "END"], ["xxST", "OPyyEND"]));
    }

    [Fact]
    public void OverlappingPrefixesStopAtTheShorterStringAsSoonAsItCompletes()
    {
        // "ab" completes before "abc" could.
        Assert.Equal(("x", "ab"), Run(["abc", "ab"], ["xa", "bc"]));
        Assert.Equal(("x", "ab"), Run(["abc", "ab"], ["xabc"]));
        // "abc" ends before "bcd" does.
        Assert.Equal(("", "abc"), Run(["abc", "bcd"], ["ab", "cd"]));
        // A failed long candidate can still contain a shorter one: "abcd" fails at 'e', "bce" completes.
        Assert.Equal(("a", "bce"), Run(["abcd", "bce"], ["abc", "e"]));
        // Two stop strings ending at the same place: the longer one is removed whole.
        Assert.Equal(("a", "bc"), Run(["c", "bc"], ["ab", "c"]));
    }

    [Fact]
    public void RepeatedCharactersDoNotHideAMatch()
    {
        Assert.Equal(("a", "aab"), Run(["aab"], ["a", "a", "a", "b"]));
        Assert.Equal(("aaa", null), Run(["aab"], ["a", "a", "a"]));
    }

    [Fact]
    public void ResultDoesNotDependOnHowTheTextIsCut()
    {
        var random = new SeededRandom(21UL);
        const string alphabet = "abc";
        for (int trial = 0; trial < 500; trial++)
        {
            string RandomText(int length) =>
                new(Enumerable.Range(0, length).Select(_ => alphabet[random.NextInt32(alphabet.Length)]).ToArray());
            string[] stops = Enumerable.Range(0, 1 + random.NextInt32(3)).Select(_ => RandomText(1 + random.NextInt32(4))).ToArray();
            string text = RandomText(random.NextInt32(30));

            var expected = Reference(stops, text);
            Assert.Equal(expected, Run(stops, [text]));
            Assert.Equal(expected, Run(stops, text.Select(c => c.ToString())));

            var pieces = new List<string>();
            for (int at = 0; at < text.Length;)
            {
                int length = Math.Min(text.Length - at, random.NextInt32(5)); // includes empty pieces
                pieces.Add(text.Substring(at, length));
                at += length;
            }
            Assert.Equal(expected, Run(stops, pieces));
        }
    }

    /// <summary>Whole-text answer: cut at the stop that ends first (longest on a tie).</summary>
    static (string, string?) Reference(string[] stops, string text)
    {
        for (int end = 1; end <= text.Length; end++)
        {
            string? best = stops.Where(s => s.Length <= end && text.AsSpan(end - s.Length, s.Length).SequenceEqual(s))
                .OrderByDescending(s => s.Length).FirstOrDefault();
            if (best is not null)
                return (text[..(end - best.Length)], best);
        }
        return (text, null);
    }

    [Fact]
    public void ResetStartsAFreshText()
    {
        var matcher = new StopStringMatcher(["##"]);
        matcher.Push("a##");
        Assert.True(matcher.IsStopped);
        matcher.Reset();
        Assert.False(matcher.IsStopped);
        Assert.Null(matcher.MatchedStopString);
        Assert.Equal("b", matcher.Push("b#").ToString());
        Assert.Equal("#", matcher.Flush().ToString());
    }

    [Fact]
    public void LongPiecesGrowTheBufferWithoutLosingHeldText()
    {
        var matcher = new StopStringMatcher(["<|end|>"]);
        string longText = new('x', 10_000);
        Assert.Equal(longText, matcher.Push(longText + "<|e").ToString());
        Assert.Equal("", matcher.Push("nd|").ToString());
        Assert.Equal("", matcher.Push(">" + longText).ToString());
        Assert.Equal("<|end|>", matcher.MatchedStopString);
    }

    [Fact]
    public void EmptyStopStringIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new StopStringMatcher(["ok", ""]));
        Assert.Empty(new StopStringMatcher(null).StopStrings);
    }
}
