namespace Specula.Hub;

/// <summary>
/// The local folder of pulled models, laid out as <c>ROOT/OWNER/REPO/PATH-IN-REPO</c> (see
/// <see cref="HubOptions"/> for where ROOT is). Every <c>.gguf</c> in it is complete and verified, because
/// downloads are written to <c>.partial</c> files and renamed only after their checksum matched; the store
/// therefore needs no index: listing it is listing its files.
/// </summary>
public sealed class ModelStore(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The store folder of a repository.</summary>
    public string RepoFolder(string repoId)
    {
        var spec = HubModelSpec.Parse(repoId);
        return Path.Combine(Root, spec.Owner, spec.Name);
    }

    /// <summary>Where the file <paramref name="repoPath"/> of <paramref name="repoId"/> is kept.</summary>
    public string PathOf(string repoId, string repoPath)
    {
        if (!HubModelSpec.IsSafeRepoPath(repoPath)) throw new ArgumentException($"'{repoPath}' is not a safe path inside a repository");
        return Path.Combine(RepoFolder(repoId), repoPath.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>Every model in the store, ordered by repository and file.</summary>
    public IReadOnlyList<StoredModel> List()
    {
        var models = new List<StoredModel>();
        if (!Directory.Exists(Root)) return models;
        foreach (var ownerFolder in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
            foreach (var repoFolder in Directory.EnumerateDirectories(ownerFolder).Order(StringComparer.Ordinal))
            {
                var repoId = $"{Path.GetFileName(ownerFolder)}/{Path.GetFileName(repoFolder)}";
                if (HubModelSpec.TryParse(repoId, out _)) models.AddRange(ListRepo(repoId, repoFolder));
            }
        return models;
    }

    /// <summary>The models of one repository.</summary>
    public IReadOnlyList<StoredModel> List(string repoId) => ListRepo(repoId, RepoFolder(repoId));

    static List<StoredModel> ListRepo(string repoId, string repoFolder)
    {
        if (!Directory.Exists(repoFolder)) return [];
        var files = Directory.EnumerateFiles(repoFolder, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            .Select(f => (Path.GetRelativePath(repoFolder, f).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length));
        return GgufFileSet.Group(files).Select(set => new StoredModel(repoId, set, repoFolder)).ToList();
    }

    /// <summary>
    /// The complete stored model <paramref name="spec"/> names, chosen by the same rules as a pull
    /// (<see cref="GgufSelector"/>) among what is stored, or null when none is stored. Throws
    /// <see cref="AmbiguousModelException"/> when the request matches several stored models.
    /// </summary>
    public StoredModel? Find(HubModelSpec spec)
    {
        var complete = List(spec.RepoId).Where(m => m.IsComplete).ToList();
        if (complete.Count == 0) return null;
        try
        {
            var selection = GgufSelector.Select(complete.Select(m => m.Files).ToList(), spec.Selector, $"{spec.RepoId} (in {Root})");
            return complete.First(m => m.Files == selection.Set);
        }
        catch (HubNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The stored model one of whose files is <paramref name="path"/>, or null when the path is not a model in this store.</summary>
    public StoredModel? FindByPath(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Root, full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return null;
        var segments = relative.Split(Path.DirectorySeparatorChar);
        if (segments.Length < 3 || !HubModelSpec.TryParse($"{segments[0]}/{segments[1]}", out var spec)) return null;
        var repoPath = string.Join('/', segments.Skip(2));
        if (repoPath.EndsWith(FileDownloader.PartialSuffix, StringComparison.Ordinal)) repoPath = repoPath[..^FileDownloader.PartialSuffix.Length];
        return List(spec.RepoId).FirstOrDefault(m => m.Files.ContainsPath(repoPath));
    }

    /// <summary>Deletes a model's files, their unfinished downloads, and folders left empty. Returns the deleted files.</summary>
    public IReadOnlyList<string> Remove(StoredModel model)
    {
        var deleted = new List<string>();
        for (int index = 1; index <= model.Files.PartCount; index++)
        {
            var path = Path.Combine(model.RepoFolder, model.Files.PartPath(index).Replace('/', Path.DirectorySeparatorChar));
            foreach (var candidate in (ReadOnlySpan<string>)[path, FileDownloader.PartialPath(path)])
            {
                if (!File.Exists(candidate)) continue;
                File.Delete(candidate);
                deleted.Add(candidate);
            }
            PruneEmptyFolders(Path.GetDirectoryName(path)!);
        }
        return deleted;
    }

    /// <summary>Deletes everything stored for a repository (models and unfinished downloads). Returns the deleted files.</summary>
    public IReadOnlyList<string> RemoveRepo(string repoId)
    {
        var folder = RepoFolder(repoId);
        if (!Directory.Exists(folder)) return [];
        var deleted = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).ToList();
        Directory.Delete(folder, recursive: true);
        PruneEmptyFolders(Path.GetDirectoryName(folder)!);
        return deleted;
    }

    /// <summary>Removes <paramref name="folder"/> and its parents while they are empty, stopping at the store root.</summary>
    void PruneEmptyFolders(string folder)
    {
        var current = Path.GetFullPath(folder);
        while (current.Length > Root.Length && current.StartsWith(Root, StringComparison.Ordinal)
               && Directory.Exists(current) && !Directory.EnumerateFileSystemEntries(current).Any())
        {
            Directory.Delete(current);
            current = Path.GetDirectoryName(current)!;
        }
    }
}
