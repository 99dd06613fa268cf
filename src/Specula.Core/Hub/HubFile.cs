namespace Specula.Hub;

/// <summary>
/// One file of a hub repository as the tree API reports it: its path in the repository, its size, and the
/// digest its content must have (the LFS object's SHA-256 for large files, the git blob SHA-1 otherwise).
/// </summary>
public sealed record HubFile(string Path, long Size, ContentDigest Digest)
{
    /// <summary>The file name without folders.</summary>
    public string FileName => Path[(Path.LastIndexOf('/') + 1)..];
}
