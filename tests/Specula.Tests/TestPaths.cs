namespace Specula.Tests;

/// <summary>Locates ../shared (models, fixtures) relative to the repository root.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared(string relative) => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", relative));

    static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Specula.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root (Specula.slnx) not found");
    }
}
