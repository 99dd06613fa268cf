using Specula.Hub;
using Xunit;

namespace Specula.Tests.Hub;

/// <summary>Pulling from a fake hub on loopback: redirects, ranges, resume, verification, split files, errors.</summary>
public class PullTests
{
    const string Repo = "acme/tiny-GGUF";

    [Fact]
    public async Task PullFollowsRedirectToCdnAndStoresVerifiedFile()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(300_000, seed: 1);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.AddFile(Repo, "README.md", "hello"u8.ToArray(), lfs: false);

        var result = await f.PullAsync($"{Repo}:Q4_K_M");

        var expectedPath = Path.Combine(f.StoreRoot, "acme", "tiny-GGUF", "tiny-Q4_K_M.gguf");
        Assert.Equal(expectedPath, result.Model.Path);
        Assert.Equal(content, File.ReadAllBytes(expectedPath));
        Assert.Equal(["acme/tiny-GGUF/tiny-Q4_K_M.gguf"], f.StoredFiles()); // no .partial, no README
        Assert.Equal(1, result.FilesDownloaded);
        var cdn = Assert.Single(f.Hub.CdnRequests);
        Assert.StartsWith("/repos/", cdn.Target); // the bytes came from the redirect target
        Assert.Null(cdn.Header("Range"));
    }

    [Fact]
    public async Task PartialFileFromEarlierRunIsResumedWithRangeRequest()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(400_000, seed: 2);
        f.Hub.AddFile(Repo, "tiny-Q8_0.gguf", content);
        var destination = f.Store.PathOf(Repo, "tiny-Q8_0.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllBytes(FileDownloader.PartialPath(destination), content[..150_000]);
        var progress = new ProgressLog();

        await f.PullAsync($"{Repo}:tiny-Q8_0.gguf", progress: progress);

        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.False(File.Exists(FileDownloader.PartialPath(destination)));
        Assert.Equal("bytes=150000-", Assert.Single(f.Hub.CdnRequests).Header("Range"));
        Assert.Equal(250_000, f.Hub.CdnBytesServed); // only the missing tail travelled
        Assert.All(progress.Reports, r => Assert.Equal(150_000, r.ResumedFrom));
        Assert.Equal(DownloadStage.Completed, progress.Reports[^1].Stage);
    }

    [Fact]
    public async Task ConnectionDroppedMidFileIsResumedAndVerified()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(300_000, seed: 3);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.DropNextDownloads(count: 2, afterBytes: 100_000);
        var progress = new ProgressLog();

        await f.PullAsync(Repo, progress: progress);

        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf")));
        var ranges = f.Hub.CdnRequests.Select(r => r.Header("Range")).ToArray();
        Assert.Equal([null, "bytes=100000-", "bytes=200000-"], ranges);
        Assert.Equal(2, progress.Reports.Count(r => r.Stage == DownloadStage.Retrying));
    }

    [Fact]
    public async Task StalledConnectionTimesOutAndIsResumed()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(200_000, seed: 4);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.StallNextDownloads(count: 1, afterBytes: 50_000);

        await f.PullAsync(Repo);

        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf")));
        Assert.Equal([null, "bytes=50000-"], f.Hub.CdnRequests.Select(r => r.Header("Range")).ToArray());
    }

    [Fact]
    public async Task TooManyFailuresInARowGiveUpAndKeepPartialForLater()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(100_000, seed: 5);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.DropNextDownloads(count: 100, afterBytes: 0); // every connection dies before any byte

        var ex = await Assert.ThrowsAsync<HubException>(() => f.PullAsync(Repo));
        Assert.Contains("4 times in a row", ex.Message);
        Assert.Contains("run the pull again", ex.Message);
        Assert.Equal(4, f.Hub.CdnRequests.Count());
        Assert.Empty(f.Store.List());

        f.Hub.DropNextDownloads(count: 0, afterBytes: 0);
        await f.PullAsync(Repo);
        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf")));
    }

    [Fact]
    public async Task WrongChecksumThrowsAndLeavesNothingBehind()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(200_000, seed: 6);
        var wrongSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(HubFixture.Content(200_000, seed: 7)));
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content, advertisedSha256: wrongSha);

        var ex = await Assert.ThrowsAsync<HubIntegrityException>(() => f.PullAsync(Repo));

        Assert.Contains(wrongSha, ex.Message);
        Assert.Contains("tiny-Q4_K_M.gguf", ex.Message);
        Assert.Empty(f.StoredFiles()); // neither a model nor a .partial
        Assert.Empty(f.Store.List());
    }

    [Fact]
    public async Task ResumedDownloadOfCorruptPartialFailsVerificationAndIsDeleted()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(200_000, seed: 8);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        var destination = f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        File.WriteAllBytes(FileDownloader.PartialPath(destination), HubFixture.Content(80_000, seed: 9)); // not a prefix

        await Assert.ThrowsAsync<HubIntegrityException>(() => f.PullAsync(Repo));
        Assert.Empty(f.StoredFiles());

        await f.PullAsync(Repo); // the next try starts clean and succeeds
        Assert.Equal(content, File.ReadAllBytes(destination));
    }

    [Fact]
    public async Task ServerIgnoringRangeRestartsFromZeroAndStillVerifies()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(250_000, seed: 10);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.IgnoreRanges = true;
        f.Hub.DropNextDownloads(count: 1, afterBytes: 120_000);

        await f.PullAsync(Repo);

        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf")));
        Assert.Equal([null, "bytes=120000-"], f.Hub.CdnRequests.Select(r => r.Header("Range")).ToArray());
    }

    [Fact]
    public async Task SplitModelDownloadsEveryPartAndCountsAsOneModel()
    {
        await using var f = new HubFixture();
        var parts = Enumerable.Range(1, 3).Select(i => HubFixture.Content(100_000 + i, seed: 20 + i)).ToArray();
        for (int i = 0; i < 3; i++) f.Hub.AddFile(Repo, $"Q4_K_M/tiny-Q4_K_M-0000{i + 1}-of-00003.gguf", parts[i]);
        f.Hub.AddFile(Repo, "tiny-Q8_0.gguf", HubFixture.Content(400_000, seed: 30));
        var progress = new ProgressLog();

        var result = await f.PullAsync($"{Repo}:q4_k_m", progress: progress);

        Assert.Equal(3, result.FilesDownloaded);
        Assert.EndsWith(Path.Combine("Q4_K_M", "tiny-Q4_K_M-00001-of-00003.gguf"), result.Model.Path);
        for (int i = 0; i < 3; i++)
            Assert.Equal(parts[i], File.ReadAllBytes(f.Store.PathOf(Repo, $"Q4_K_M/tiny-Q4_K_M-0000{i + 1}-of-00003.gguf")));
        var stored = Assert.Single(f.Store.List());
        Assert.Equal(parts.Sum(p => (long)p.Length), stored.Size);
        Assert.Equal(3, stored.Files.PartCount);
        Assert.Equal([1, 2, 3], progress.Reports.Where(r => r.Stage == DownloadStage.Completed).Select(r => r.FileIndex).ToArray());
        Assert.All(progress.Reports, r => Assert.Equal(3, r.FileCount));
    }

    [Fact]
    public async Task InterruptedSplitPullFetchesOnlyMissingParts()
    {
        await using var f = new HubFixture();
        var parts = Enumerable.Range(1, 2).Select(i => HubFixture.Content(90_000, seed: 40 + i)).ToArray();
        for (int i = 0; i < 2; i++) f.Hub.AddFile(Repo, $"tiny-F16-0000{i + 1}-of-00002.gguf", parts[i]);
        var first = f.Store.PathOf(Repo, "tiny-F16-00001-of-00002.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(first)!);
        File.WriteAllBytes(first, parts[0]);
        Assert.False(Assert.Single(f.Store.List()).IsComplete);

        var result = await f.PullAsync(Repo);

        Assert.Equal(1, result.FilesDownloaded);
        Assert.Single(f.Hub.CdnRequests);
        Assert.True(Assert.Single(f.Store.List()).IsComplete);
    }

    [Fact]
    public async Task SplitSetWithPartMissingOnHubIsAClearError()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-F16-00001-of-00003.gguf", HubFixture.Content(1000, 1));
        f.Hub.AddFile(Repo, "tiny-F16-00003-of-00003.gguf", HubFixture.Content(1000, 3));

        var ex = await Assert.ThrowsAsync<HubNotFoundException>(() => f.PullAsync(Repo));
        Assert.Contains("missing part 2", ex.Message);
        Assert.Empty(f.StoredFiles());
    }

    [Fact]
    public async Task AlreadyStoredModelIsNotDownloadedAgain()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(100_000, seed: 50));
        await f.PullAsync(Repo);

        var again = await f.PullAsync(Repo);

        Assert.Equal(0, again.FilesDownloaded);
        Assert.Single(f.Hub.CdnRequests);
    }

    [Fact]
    public async Task GatedRepoWithoutTokenAsksForHfToken()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(1000, 1));
        f.Hub.Gate(Repo, "hf_secret");

        var ex = await Assert.ThrowsAsync<HubAccessDeniedException>(() => f.PullAsync(Repo));

        Assert.Contains("HF_TOKEN", ex.Message);
        Assert.Contains("401", ex.Message);
        Assert.Empty(f.StoredFiles());
    }

    [Fact]
    public async Task GatedRepoWithWrongTokenIsForbidden()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(1000, 1));
        f.Hub.Gate(Repo, "hf_secret");

        var ex = await Assert.ThrowsAsync<HubAccessDeniedException>(() => f.PullAsync(Repo, token: "hf_wrong"));

        Assert.Contains("403", ex.Message);
        Assert.Contains($"{f.Hub.Endpoint}{Repo}", ex.Message); // where to accept the terms
    }

    [Fact]
    public async Task TokenGoesToHubButNeverToCdn()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(50_000, seed: 60);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", content);
        f.Hub.Gate(Repo, "hf_secret");

        await f.PullAsync(Repo, token: "hf_secret");

        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny-Q4_K_M.gguf")));
        Assert.All(f.Hub.HubRequests, r => Assert.Equal("Bearer hf_secret", r.Header("Authorization")));
        Assert.All(f.Hub.CdnRequests, r => Assert.Null(r.Header("Authorization")));
    }

    [Fact]
    public async Task UnknownRepoIsNotFound()
    {
        await using var f = new HubFixture();
        var ex = await Assert.ThrowsAsync<HubNotFoundException>(() => f.PullAsync("acme/missing", token: "hf_any"));
        Assert.Contains("acme/missing", ex.Message);
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public async Task UnknownFileIsNotFoundAndListsWhatExists()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(1000, 1));
        f.Hub.AddFile(Repo, "tiny-Q8_0.gguf", HubFixture.Content(2000, 2));

        var ex = await Assert.ThrowsAsync<HubNotFoundException>(() => f.PullAsync($"{Repo}:Q5_K_S"));

        Assert.Contains("Q5_K_S", ex.Message);
        Assert.Contains("tiny-Q4_K_M.gguf", ex.Message);
        Assert.Contains("tiny-Q8_0.gguf", ex.Message);
    }

    [Fact]
    public async Task AmbiguousQuantListsCandidates()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "a/tiny-Q4_0.gguf", HubFixture.Content(1000, 1));
        f.Hub.AddFile(Repo, "b/tiny-Q4_0.gguf", HubFixture.Content(1000, 2));

        var ex = await Assert.ThrowsAsync<AmbiguousModelException>(() => f.PullAsync($"{Repo}:Q4_0"));

        Assert.Equal(["a/tiny-Q4_0.gguf", "b/tiny-Q4_0.gguf"], ex.Candidates);
        Assert.Contains("a/tiny-Q4_0.gguf", ex.Message);
        Assert.Empty(f.StoredFiles());
    }

    [Fact]
    public async Task DefaultChoiceIsQ4KMAndSaysSo()
    {
        await using var f = new HubFixture();
        f.Hub.AddFile(Repo, "tiny-Q2_K.gguf", HubFixture.Content(1000, 1));
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(3000, 2));
        f.Hub.AddFile(Repo, "tiny-Q8_0.gguf", HubFixture.Content(5000, 3));

        var result = await f.PullAsync(Repo);

        Assert.Equal("tiny-Q4_K_M.gguf", result.Model.DisplayName);
        Assert.Contains("Q4_K_M", result.Reason);
    }

    [Fact]
    public async Task SmallGitFileIsVerifiedByGitBlobHash()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(5000, seed: 70);
        f.Hub.AddFile(Repo, "tiny.gguf", content, lfs: false);

        await f.PullAsync(Repo);

        Assert.Equal(content, File.ReadAllBytes(f.Store.PathOf(Repo, "tiny.gguf")));
        Assert.Empty(f.Hub.CdnRequests); // served by the hub itself, no redirect
    }

    [Fact]
    public async Task PaginatedTreeIsReadToTheEnd()
    {
        await using var f = new HubFixture();
        for (int i = 0; i < 7; i++) f.Hub.AddFile(Repo, $"notes-{i}.txt", [(byte)i], lfs: false);
        f.Hub.AddFile(Repo, "tiny-Q4_K_M.gguf", HubFixture.Content(1000, 1)); // last entry, on the last page
        f.Hub.TreePageSize = 3;

        var result = await f.PullAsync(Repo);

        Assert.Equal("tiny-Q4_K_M.gguf", result.Model.DisplayName);
        Assert.Equal(3, f.Hub.HubRequests.Count(r => r.Target.StartsWith("/api/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RenamedRepoRedirectIsFollowed()
    {
        await using var f = new HubFixture();
        var content = HubFixture.Content(10_000, seed: 80);
        f.Hub.AddFile("acme/new-name", "tiny-Q4_K_M.gguf", content);
        f.Hub.Rename("acme/old-name", "acme/new-name");

        var result = await f.PullAsync("acme/old-name");

        Assert.Equal(content, File.ReadAllBytes(result.Model.Path));
        Assert.Equal("acme/old-name", result.Model.RepoId); // stored under the name the user asked for
    }

    [Fact]
    public async Task UnreachableHubIsReportedAsSuch()
    {
        var options = new HubOptions { Endpoint = new Uri("http://127.0.0.1:1"), StoreRoot = Path.GetTempPath() };
        using var client = new HubClient(options);
        var ex = await Assert.ThrowsAsync<HubUnreachableException>(() => client.ListFilesAsync(Repo));
        Assert.Contains("cannot reach", ex.Message);
    }
}
