namespace Specula.Hub;

/// <summary>A model file (or split set) in the local store.</summary>
/// <param name="RepoId">The repository it came from, <c>OWNER/REPO</c>.</param>
/// <param name="Files">Its parts, as paths relative to the repository folder.</param>
/// <param name="RepoFolder">The store folder of the repository.</param>
public sealed record StoredModel(string RepoId, GgufFileSet Files, string RepoFolder)
{
    /// <summary>The file to open: the model itself, or part 1 of a split set.</summary>
    public string Path => LocalPath(Files.FirstPart);

    /// <summary>The name shown in listings: the path in the repository, with the part count for a split set.</summary>
    public string DisplayName => Files.DisplayName;

    /// <summary>Bytes on disk.</summary>
    public long Size => Files.Size;

    /// <summary>False for a split set that lacks parts (an interrupted pull); it cannot be loaded.</summary>
    public bool IsComplete => Files.IsComplete;

    /// <summary>Full paths of the parts present.</summary>
    public IEnumerable<string> PartPaths => Files.Parts.Select(LocalPath);

    string LocalPath(string repoPath) => System.IO.Path.Combine(RepoFolder, repoPath.Replace('/', System.IO.Path.DirectorySeparatorChar));
}
