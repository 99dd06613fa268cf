using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>Resolving a MODEL argument: a path, a stored hub model, or one pulled on demand.</summary>
public class ModelReferenceTests
{
    const string Repo = "acme/tiny-GGUF";

    [Fact]
    public async Task ExistingPathIsReturnedAsFullPath()
    {
        var file = Path.GetTempFileName();
        try
        {
            var relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
            Assert.Equal(file, await ModelReference.ResolveAsync(relative, new HubOptions { StoreRoot = Path.GetTempPath() }));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public async Task MissingPathIsFileNotFound()
    {
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            ModelReference.ResolveAsync("no/such/model.gguf", new HubOptions { StoreRoot = Path.GetTempPath() }));
        Assert.Contains("no/such/model.gguf", ex.Message);
    }

    [Fact]
    public async Task HubModelNotStoredIsPulledWithProgress()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(120_000, seed: 1);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        var progress = new ProgressLog();

        var path = await ModelReference.ResolveAsync(Repo, f.Options(), progress);

        Assert.Equal(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf"), path);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Contains(progress.Reports, r => r.Stage == DownloadStage.Completed);
    }

    [Fact]
    public async Task StoredHubModelResolvesWithoutNetwork()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(10_000, seed: 2));
        var pulled = await ModelReference.ResolveAsync($"{Repo}:Q4_K_M", f.Options());
        var offline = f.Options() with { Endpoint = new Uri("http://127.0.0.1:1") };

        Assert.Equal(pulled, await ModelReference.ResolveAsync($"{Repo}:Q4_K_M", offline));
        Assert.Equal(pulled, await ModelReference.ResolveAsync(Repo, offline));
    }

    [Fact]
    public async Task OfflineAndNotStoredSaysToPassAPath()
    {
        var options = new HubOptions { Endpoint = new Uri("http://127.0.0.1:1"), StoreRoot = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")) };

        var ex = await Assert.ThrowsAsync<HubUnreachableException>(() => ModelReference.ResolveAsync($"{Repo}:Q4_K_M", options));

        Assert.Contains("-m PATH", ex.Message);
        Assert.Contains($"{Repo}:Q4_K_M", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
