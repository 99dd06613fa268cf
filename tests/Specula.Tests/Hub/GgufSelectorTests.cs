using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>Which file a request selects, and how split sets are grouped.</summary>
public class GgufSelectorTests
{
    static IReadOnlyList<GgufFileSet> Sets(params (string Path, long Size)[] files) => GgufFileSet.Group(files);

    static string Pick(IReadOnlyList<GgufFileSet> sets, string? selector) => GgufSelector.Select(sets, selector, "acme/x").Set.DisplayName;

    [Fact]
    public void SplitPartsGroupIntoOneSetWithTotalSize()
    {
        var sets = Sets(("m-00002-of-00002.gguf", 5), ("m-00001-of-00002.gguf", 7), ("other.gguf", 1), ("README.md", 3));

        Assert.Equal(2, sets.Count);
        var split = sets.Single(s => s.IsSplit);
        Assert.Equal(["m-00001-of-00002.gguf", "m-00002-of-00002.gguf"], split.Parts);
        Assert.Equal(12, split.Size);
        Assert.Equal("m-00001-of-00002.gguf", split.FirstPart);
        Assert.True(split.IsComplete);
    }

    [Fact]
    public void SplitSetMissingAPartIsIncompleteButStillNamesPartOne()
    {
        var split = Assert.Single(Sets(("dir/m-00002-of-00003.gguf", 5), ("dir/m-00003-of-00003.gguf", 5)));
        Assert.False(split.IsComplete);
        Assert.Equal("dir/m-00001-of-00003.gguf", split.FirstPart);
        Assert.True(split.ContainsPath("dir/m-00001-of-00003.gguf"));
        Assert.False(split.ContainsPath("dir/m-00001-of-00004.gguf"));
    }

    [Theory]
    [InlineData("m-00000-of-00002.gguf")] // parts count from 1
    [InlineData("m-00003-of-00002.gguf")] // beyond the count
    [InlineData("m-0001-of-0002.gguf")]   // not five digits
    public void MalformedSplitNamesAreSingleFiles(string name)
    {
        Assert.False(GgufFileSet.TryParseSplitName(name, out _, out _, out _));
        Assert.False(Assert.Single(Sets((name, 1))).IsSplit);
    }

    [Theory]
    [InlineData("Q4_K_M", "Model-Q4_K_M.gguf")]
    [InlineData("q4_k_m", "Model-Q4_K_M.gguf")]             // case-insensitive
    [InlineData("Q4_K_M", "llama-2-7b.Q4_K_M.gguf")]        // TheBloke-style dot separator
    [InlineData("Q4_K_M", "Q4_K_M/Model-00001-of-00002.gguf")] // quant named by the folder
    [InlineData("UD-Q4_K_XL", "Model-UD-Q4_K_XL.gguf")]
    [InlineData("F16", "model_F16.gguf")]
    public void QuantMatchesWholeToken(string quant, string file) =>
        Assert.True(Assert.Single(Sets((file, 1))).MatchesQuant(quant));

    [Theory]
    [InlineData("Q4_K", "Model-Q4_K_M.gguf")]   // a prefix of a longer quant
    [InlineData("Q4_0", "Model-IQ4_0.gguf")]    // inside another token
    [InlineData("Q8_0", "Model-Q8_0_L.gguf")]
    [InlineData("Q4", "Model-Q4_K_M.gguf")]
    public void QuantDoesNotMatchPartOfAnotherQuant(string quant, string file) =>
        Assert.False(Assert.Single(Sets((file, 1))).MatchesQuant(quant));

    [Fact]
    public void QuantSelectsTheOneMatchingFile()
    {
        var sets = Sets(("M-Q4_K_S.gguf", 4), ("M-Q4_K_M.gguf", 5), ("M-IQ4_XS.gguf", 3));
        Assert.Equal("M-Q4_K_M.gguf", Pick(sets, "q4_k_m"));
        Assert.Equal("M-IQ4_XS.gguf", Pick(sets, "IQ4_XS"));
    }

    [Fact]
    public void SplitSetCountsAsOneMatch()
    {
        var sets = Sets(("Q8_0/M-Q8_0-00001-of-00002.gguf", 5), ("Q8_0/M-Q8_0-00002-of-00002.gguf", 5), ("M-Q4_K_M.gguf", 3));
        Assert.Equal("Q8_0/M-Q8_0-00001-of-00002.gguf (2 parts)", Pick(sets, "Q8_0"));
    }

    [Fact]
    public void SingleFileWinsOverSplitSetOfSameQuant()
    {
        var sets = Sets(("big/M-Q8_0-00001-of-00002.gguf", 5), ("big/M-Q8_0-00002-of-00002.gguf", 5), ("M-Q8_0.gguf", 9));
        Assert.Equal("M-Q8_0.gguf", Pick(sets, "Q8_0"));
    }

    [Fact]
    public void SeveralMatchesAreAnErrorListingThem()
    {
        var sets = Sets(("M-UD-Q4_K_XL.gguf", 5), ("M-Q4_K_XL.gguf", 5), ("M-Q8_0.gguf", 5));
        var ex = Assert.Throws<AmbiguousModelException>(() => Pick(sets, "Q4_K_XL"));
        Assert.Equal(["M-Q4_K_XL.gguf", "M-UD-Q4_K_XL.gguf"], ex.Candidates.Order().ToArray());
        Assert.Contains("acme/x:FILE.gguf", ex.Message);
        Assert.Equal("M-UD-Q4_K_XL.gguf", Pick(sets, "UD-Q4_K_XL")); // the way out the message points to
    }

    [Fact]
    public void FileSelectorMatchesPathOrBareNameAndPrefersExactCase()
    {
        var sets = Sets(("sub/M-Q4_0.gguf", 1), ("M-q4_0.gguf", 1), ("M-Q4_0.GGUF", 1));
        Assert.Equal("sub/M-Q4_0.gguf", Pick(sets, "sub/M-Q4_0.gguf"));
        Assert.Equal("M-q4_0.gguf", Pick(sets, "M-q4_0.gguf"));
        Assert.Throws<AmbiguousModelException>(() => Pick(sets, "m-Q4_0.gguf")); // three case-insensitive matches
    }

    [Fact]
    public void NamingAnyPartSelectsTheWholeSplitSet()
    {
        var sets = Sets(("M-00001-of-00002.gguf", 1), ("M-00002-of-00002.gguf", 1), ("N.gguf", 1));
        Assert.Equal("M-00001-of-00002.gguf (2 parts)", Pick(sets, "M-00002-of-00002.gguf"));
    }

    [Fact]
    public void DefaultPrefersQ4KMThenSmallestAndSkipsProjectors()
    {
        Assert.Equal("M-Q4_K_M.gguf", Pick(Sets(("M-Q2_K.gguf", 1), ("M-Q4_K_M.gguf", 5), ("M-F16.gguf", 20)), null));
        Assert.Equal("M-Q3_K_S.gguf", Pick(Sets(("M-Q8_0.gguf", 9), ("M-Q3_K_S.gguf", 4), ("mmproj-M-f16.gguf", 1)), null));
        var only = GgufSelector.Select(Sets(("M-Q8_0.gguf", 9), ("mmproj-M-f16.gguf", 1)), null, "acme/x");
        Assert.Equal("M-Q8_0.gguf", only.Set.DisplayName);
        Assert.Contains("only model file", only.Reason);
    }

    [Fact]
    public void ProjectorIsChosenOnlyWhenNamed()
    {
        var sets = Sets(("M-F16.gguf", 9), ("mmproj-M-F16.gguf", 1));
        Assert.Equal("M-F16.gguf", Pick(sets, "F16"));
        Assert.Equal("mmproj-M-F16.gguf", Pick(sets, "mmproj-M-F16.gguf"));
    }

    [Fact]
    public void NoGgufAtAllIsNotFound()
    {
        var ex = Assert.Throws<HubNotFoundException>(() => Pick(Sets(("model.safetensors", 1)), null));
        Assert.Contains("no .gguf", ex.Message);
    }
}
