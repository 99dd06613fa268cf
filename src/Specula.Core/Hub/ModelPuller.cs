namespace Specula.Hub;

/// <summary>The outcome of a pull.</summary>
/// <param name="Model">The model as stored now.</param>
/// <param name="Reason">Why this file was chosen (worth showing when the request named no file).</param>
/// <param name="FilesDownloaded">Files fetched by this pull (0 when everything was already stored).</param>
/// <param name="FilesTotal">Files the model consists of.</param>
public sealed record PullResult(StoredModel Model, string Reason, int FilesDownloaded, int FilesTotal);

/// <summary>
/// Fetches a model from the hub into the store: lists the repository, chooses the file
/// (<see cref="GgufSelector"/>), and downloads it, or every part of a split set, with <see cref="FileDownloader"/>.
/// Parts already in the store with the listed size are kept (they were verified when downloaded).
/// </summary>
public sealed class ModelPuller(HubClient hub, ModelStore store)
{
    public async Task<PullResult> PullAsync(HubModelSpec spec, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var files = await hub.ListFilesAsync(spec.RepoId, cancellationToken).ConfigureAwait(false);
        var sets = GgufFileSet.Group(files.Select(f => (f.Path, f.Size)));
        var selection = GgufSelector.Select(sets, spec.Selector, spec.RepoId);
        var set = selection.Set;
        if (!set.IsComplete)
        {
            var missing = Enumerable.Range(1, set.PartCount).Where(i => !set.Parts.Contains(set.PartPath(i)));
            throw new HubNotFoundException($"{spec.RepoId} lists only {set.Parts.Count} of the {set.PartCount} parts of {set.Stem} (missing part {string.Join(", ", missing)})");
        }

        var byPath = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var downloader = new FileDownloader(hub);
        int downloaded = 0;
        for (int i = 0; i < set.Parts.Count; i++)
        {
            var file = byPath[set.Parts[i]];
            var destination = store.PathOf(spec.RepoId, file.Path);
            if (File.Exists(destination) && new FileInfo(destination).Length == file.Size)
            {
                progress?.Report(new DownloadProgress(file.Path, i + 1, set.Parts.Count, DownloadStage.Completed, file.Size, file.Size, file.Size));
                continue;
            }
            await downloader.DownloadAsync(spec.RepoId, file, destination, i + 1, set.Parts.Count, progress, cancellationToken).ConfigureAwait(false);
            downloaded++;
        }

        var stored = store.List(spec.RepoId).FirstOrDefault(m => m.Files.Stem == set.Stem && m.Files.PartCount == set.PartCount && m.IsComplete)
                     ?? throw new HubException($"{set.DisplayName} was downloaded but is not in {store.RepoFolder(spec.RepoId)}; was it removed meanwhile?");
        return new PullResult(stored, selection.Reason, downloaded, set.Parts.Count);
    }
}
