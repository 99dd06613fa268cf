namespace Specula.Hub;

/// <summary>
/// A model named on the hub: <c>OWNER/REPO</c>, optionally followed by <c>:SELECTOR</c>, where the selector
/// is either a file in the repository (ends in <c>.gguf</c>, may include folders) or a quantization name
/// such as <c>Q4_K_M</c>. A leading <c>hf.co/</c>, <c>huggingface.co/</c> or <c>https://huggingface.co/</c>
/// is accepted and ignored, so names copied from the web page work.
/// </summary>
public sealed record HubModelSpec(string Owner, string Name, string? Selector)
{
    const int MaxNameLength = 96; // the hub's limit for user and repository names

    /// <summary><c>OWNER/REPO</c>.</summary>
    public string RepoId => $"{Owner}/{Name}";

    /// <summary>True when the selector names a file rather than a quantization.</summary>
    public bool SelectsFile => Selector != null && Selector.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Selector == null ? RepoId : $"{RepoId}:{Selector}";

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static HubModelSpec Parse(string text)
    {
        if (TryParse(text, out var spec, out var error)) return spec;
        throw new FormatException(error);
    }

    public static bool TryParse(string? text, out HubModelSpec spec) => TryParse(text, out spec, out _);

    static bool TryParse(string? text, out HubModelSpec spec, out string error)
    {
        spec = null!;
        var trimmed = (text ?? "").Trim();
        foreach (var prefix in (ReadOnlySpan<string>)["https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "https://hf.co/", "hf.co/"])
        {
            if (trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) { trimmed = trimmed[prefix.Length..]; break; }
        }

        string repoPart = trimmed;
        string? selector = null;
        int colon = trimmed.IndexOf(':');
        if (colon >= 0)
        {
            repoPart = trimmed[..colon];
            selector = trimmed[(colon + 1)..];
            if (selector.Length == 0) { error = $"'{text}': nothing after ':' (expected OWNER/REPO:FILE.gguf or OWNER/REPO:QUANT)"; return false; }
            if (!IsSafeRepoPath(selector)) { error = $"'{text}': '{selector}' is not a valid file or quantization name"; return false; }
        }

        var parts = repoPart.Split('/');
        if (parts.Length != 2) { error = $"'{text}' is not a hub model name (expected OWNER/REPO or OWNER/REPO:QUANT)"; return false; }
        if (!IsValidName(parts[0]) || !IsValidName(parts[1]))
        {
            error = $"'{text}': '{repoPart}' is not a valid repository id (letters, digits, '-', '_', '.'; at most {MaxNameLength} characters each side)";
            return false;
        }
        spec = new HubModelSpec(parts[0], parts[1], selector);
        error = "";
        return true;
    }

    static bool IsValidName(string name)
    {
        if (name.Length == 0 || name.Length > MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]) || name.Contains("..")) return false;
        foreach (char c in name)
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_' && c != '.') return false;
        return true;
    }

    /// <summary>A relative path inside a repository that cannot escape it once joined to a local folder.</summary>
    internal static bool IsSafeRepoPath(string path)
    {
        if (path.Length == 0 || path.Length > 1024 || path.Contains('\\') || path.Contains(':') || path.StartsWith('/') || path.EndsWith('/')) return false;
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..") return false;
            foreach (char c in segment)
                if (char.IsControl(c)) return false;
        }
        return true;
    }
}
