using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>Listing, finding and removing models in the local store (no network).</summary>
public sealed class ModelStoreTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), "specula-hub-tests", Guid.NewGuid().ToString("N"));
    ModelStore Store => new(root);

    string Put(string repoId, string repoPath, int size)
    {
        var path = Store.PathOf(repoId, repoPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void ListShowsEachModelOnceWithRepoFileAndSize()
    {
        Put("acme/a", "a-Q4_K_M.gguf", 100);
        Put("acme/a", "split/a-F16-00001-of-00002.gguf", 300);
        Put("acme/a", "split/a-F16-00002-of-00002.gguf", 200);
        Put("acme/a", "README.md", 5);
        Put("zeta/b", "b.gguf", 7);
        File.WriteAllBytes(Store.PathOf("zeta/b", "c.gguf") + ".partial", new byte[3]); // unfinished: not a model

        var models = Store.List();

        Assert.Equal([("acme/a", "a-Q4_K_M.gguf", 100L), ("acme/a", "split/a-F16-00001-of-00002.gguf (2 parts)", 500L), ("zeta/b", "b.gguf", 7L)],
                     models.Select(m => (m.RepoId, m.DisplayName, m.Size)).ToArray());
    }

    [Fact]
    public void EmptyOrMissingStoreListsNothing() => Assert.Empty(Store.List());

    [Fact]
    public void FindUsesSelectionRulesOnStoredModelsOnly()
    {
        Put("acme/a", "a-Q8_0.gguf", 100);
        var q4 = Put("acme/a", "a-Q4_K_M.gguf", 50);
        Put("acme/a", "x-F16-00001-of-00002.gguf", 50); // incomplete split: never found

        Assert.Equal(q4, Store.Find(HubModelSpec.Parse("acme/a"))!.Path);
        Assert.Equal(q4, Store.Find(HubModelSpec.Parse("acme/a:q4_k_m"))!.Path);
        Assert.Null(Store.Find(HubModelSpec.Parse("acme/a:F16")));
        Assert.Null(Store.Find(HubModelSpec.Parse("acme/a:Q5_K_M")));
        Assert.Null(Store.Find(HubModelSpec.Parse("acme/other")));
    }

    [Fact]
    public void RemoveDeletesAllPartsPartialsAndEmptyFolders()
    {
        var keep = Put("acme/a", "a-Q8_0.gguf", 10);
        Put("acme/a", "big/a-F16-00001-of-00002.gguf", 10);
        var part2 = Store.PathOf("acme/a", "big/a-F16-00002-of-00002.gguf");
        File.WriteAllBytes(part2 + ".partial", new byte[4]);

        var model = Store.List().Single(m => m.Files.IsSplit);
        var deleted = Store.Remove(model);

        Assert.Equal(2, deleted.Count);
        Assert.False(Directory.Exists(Path.GetDirectoryName(part2)));
        Assert.True(File.Exists(keep));
    }

    [Fact]
    public void RemoveRepoDeletesItsFolderAndEmptyOwner()
    {
        Put("acme/a", "a.gguf", 10);
        Put("zeta/b", "b.gguf", 10);

        Assert.Single(Store.RemoveRepo("acme/a"));

        Assert.False(Directory.Exists(Path.Combine(root, "acme")));
        Assert.Equal("zeta/b", Assert.Single(Store.List()).RepoId);
        Assert.Empty(Store.RemoveRepo("acme/a"));
    }

    [Fact]
    public void FindByPathAcceptsOnlyFilesInsideTheStore()
    {
        var part2 = Put("acme/a", "a-00002-of-00002.gguf", 10);
        Put("acme/a", "a-00001-of-00002.gguf", 10);

        Assert.Equal(2, Store.FindByPath(part2)!.Files.PartCount);
        Assert.Null(Store.FindByPath(Path.Combine(Path.GetTempPath(), "elsewhere.gguf")));
        Assert.Null(Store.FindByPath(Path.Combine(root, "stray.gguf")));
    }

    [Fact]
    public void RepoPathsThatEscapeTheStoreAreRefused()
    {
        Assert.Throws<ArgumentException>(() => Store.PathOf("acme/a", "../../x.gguf"));
        Assert.Throws<FormatException>(() => Store.PathOf("../a", "x.gguf"));
    }
}
