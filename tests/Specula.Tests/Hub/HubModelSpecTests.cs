using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>Parsing OWNER/REPO[:SELECTOR], telling hub names from paths, and the store location settings.</summary>
public class HubModelSpecTests
{
    [Theory]
    [InlineData("bartowski/Llama-3.2-1B-Instruct-GGUF", "bartowski", "Llama-3.2-1B-Instruct-GGUF", null)]
    [InlineData("acme/m:Q4_K_M", "acme", "m", "Q4_K_M")]
    [InlineData("acme/m:sub/m-Q4_0.gguf", "acme", "m", "sub/m-Q4_0.gguf")]
    [InlineData("hf.co/acme/m:Q8_0", "acme", "m", "Q8_0")]
    [InlineData("https://huggingface.co/acme/m", "acme", "m", null)]
    public void ParsesRepoAndSelector(string text, string owner, string name, string? selector)
    {
        var spec = HubModelSpec.Parse(text);
        Assert.Equal((owner, name, selector), (spec.Owner, spec.Name, spec.Selector));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("acme/m/extra")]
    [InlineData("acme/m:")]
    [InlineData("acme/..:Q4")]
    [InlineData("acme/m:../../etc/passwd.gguf")]
    [InlineData("acme/m:/abs.gguf")]
    [InlineData("-acme/m")]
    [InlineData("acme/m d")]
    public void RejectsMalformedNamesWithMessage(string text)
    {
        var ex = Assert.Throws<FormatException>(() => HubModelSpec.Parse(text));
        Assert.Contains(text, ex.Message);
    }

    [Theory]
    [InlineData("acme/m", true)]
    [InlineData("acme/m:Q4_K_M", true)]
    [InlineData("acme/m:file.gguf", true)]
    [InlineData("models/m.gguf", false)] // a relative path to a file
    [InlineData("./acme/m", false)]
    [InlineData("/abs/m", false)]
    [InlineData("~/m/x", false)]
    [InlineData("C:\\models\\m.gguf", false)]
    [InlineData("m.gguf", false)]
    public void TellsHubNamesFromPaths(string arg, bool isHub) => Assert.Equal(isHub, ModelReference.IsHubReference(arg));

    [Fact]
    public void StoreFolderComesFromSpeculaModelsThenXdgCache()
    {
        Assert.Equal("/data/models", HubOptions.DefaultStoreRoot(v => v == "SPECULA_MODELS" ? "/data/models" : "/ignored"));
        Assert.Equal(Path.GetFullPath("/xdg/specula/models"), HubOptions.DefaultStoreRoot(v => v == "XDG_CACHE_HOME" ? "/xdg" : null));
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(Path.Combine(home, ".cache", "specula", "models"), HubOptions.DefaultStoreRoot(_ => null));
    }

    [Fact]
    public void EnvironmentSetsEndpointAndToken()
    {
        var env = new Dictionary<string, string> { ["HF_ENDPOINT"] = "http://mirror.local:8080/", ["HF_TOKEN"] = " hf_abc ", ["SPECULA_MODELS"] = "/m" };
        var options = HubOptions.FromEnvironment(v => env.GetValueOrDefault(v));
        Assert.Equal(new Uri("http://mirror.local:8080"), options.Endpoint);
        Assert.Equal("hf_abc", options.Token);
        Assert.Equal(Path.GetFullPath("/m"), options.StoreRoot);

        var defaults = HubOptions.FromEnvironment(_ => null);
        Assert.Equal(new Uri("https://huggingface.co"), defaults.Endpoint);
        Assert.Null(defaults.Token);

        var ex = Assert.Throws<FormatException>(() => HubOptions.FromEnvironment(v => v == "HF_ENDPOINT" ? "ftp://x" : null));
        Assert.Contains("HF_ENDPOINT", ex.Message);
    }
}
