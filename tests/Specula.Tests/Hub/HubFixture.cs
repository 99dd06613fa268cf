using Specula.Hub;

namespace Specula.Tests.Hub;

/// <summary>A fake hub plus an empty temporary model store, and options pointing at both.</summary>
sealed class HubFixture : IAsyncDisposable
{
    public FakeHub Hub { get; } = new();
    public string StoreRoot { get; } = Path.Combine(Path.GetTempPath(), "specula-hub-tests", Guid.NewGuid().ToString("N"));
    public ModelStore Store => new(StoreRoot);

    public HubOptions Options(string? token = null) => new()
    {
        Endpoint = Hub.Endpoint,
        Token = token,
        StoreRoot = StoreRoot,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        ReadTimeout = TimeSpan.FromMilliseconds(500),
        MaxAttempts = 4,
    };

    /// <summary>Pulls <paramref name="model"/> (OWNER/REPO[:SELECTOR]) into the store.</summary>
    public async Task<PullResult> PullAsync(string model, string? token = null, IProgress<DownloadProgress>? progress = null)
    {
        using var client = new HubClient(Options(token));
        return await new ModelPuller(client, Store).PullAsync(HubModelSpec.Parse(model), progress);
    }

    /// <summary>Deterministic pseudo-random content of <paramref name="length"/> bytes.</summary>
    public static byte[] Content(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Every file under the store, relative to it, with '/' separators.</summary>
    public string[] StoredFiles() => Directory.Exists(StoreRoot)
        ? Directory.EnumerateFiles(StoreRoot, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(StoreRoot, f).Replace('\\', '/')).Order().ToArray()
        : [];

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        if (Directory.Exists(StoreRoot)) Directory.Delete(StoreRoot, recursive: true);
    }
}

/// <summary>Collects progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
sealed class ProgressLog : IProgress<DownloadProgress>
{
    readonly List<DownloadProgress> reports = [];
    public IReadOnlyList<DownloadProgress> Reports { get { lock (reports) return reports.ToList(); } }
    public void Report(DownloadProgress value) { lock (reports) reports.Add(value); }
}
