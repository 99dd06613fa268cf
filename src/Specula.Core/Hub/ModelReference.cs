namespace Specula.Hub;

/// <summary>
/// Turns a MODEL argument into a local file path. The argument is either a path to a <c>.gguf</c> file or a
/// hub model <c>OWNER/REPO[:FILE_OR_QUANT]</c> (see <see cref="HubModelSpec"/>). A hub model already in the
/// store is used as is, without network; one that is not is pulled first.
/// </summary>
public static class ModelReference
{
    /// <summary>Resolves with options from the environment (<see cref="HubOptions.FromEnvironment()"/>).</summary>
    /// <returns>The full path of the model file (part 1 for a split model; the other parts lie beside it).</returns>
    public static Task<string> ResolveAsync(string modelArg, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default) =>
        ResolveAsync(modelArg, HubOptions.FromEnvironment(), progress, cancellationToken);

    /// <inheritdoc cref="ResolveAsync(string, IProgress{DownloadProgress}?, CancellationToken)"/>
    public static async Task<string> ResolveAsync(string modelArg, HubOptions options, IProgress<DownloadProgress>? progress = null,
                                                  CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelArg);
        if (File.Exists(modelArg)) return Path.GetFullPath(modelArg);
        if (Directory.Exists(modelArg)) throw new FileNotFoundException($"'{modelArg}' is a folder; give the path of a .gguf file", modelArg);
        if (!IsHubReference(modelArg))
            throw new FileNotFoundException($"model file '{modelArg}' not found (give the path of a .gguf file, or a hub model as OWNER/REPO[:QUANT])", modelArg);

        var spec = HubModelSpec.Parse(modelArg);
        var store = new ModelStore(options.StoreRoot);
        var stored = store.Find(spec);
        if (stored != null) return stored.Path;

        using var hub = new HubClient(options);
        try
        {
            var result = await new ModelPuller(hub, store).PullAsync(spec, progress, cancellationToken).ConfigureAwait(false);
            return result.Model.Path;
        }
        catch (HubUnreachableException ex)
        {
            throw new HubUnreachableException(
                $"{spec} is not in the model store ({store.Root}) and cannot be pulled: {ex.Message}. " +
                "Connect to the network and try again, or download the .gguf yourself and pass its path with -m PATH", ex);
        }
    }

    /// <summary>
    /// True when <paramref name="modelArg"/> reads as a hub model rather than a file path: it parses as
    /// <c>OWNER/REPO[:SELECTOR]</c> and does not look like a path (<c>./x</c>, <c>/x</c>, <c>~/x</c>,
    /// <c>C:\x</c>, or <c>dir/file.gguf</c> with no selector).
    /// </summary>
    public static bool IsHubReference(string modelArg)
    {
        if (string.IsNullOrWhiteSpace(modelArg)) return false;
        if (modelArg[0] is '.' or '/' or '~' || modelArg.Contains('\\')) return false;
        if (!modelArg.Contains(':') && modelArg.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return false;
        if (modelArg.Length >= 2 && modelArg[1] == ':' && char.IsAsciiLetter(modelArg[0])) return false; // a Windows drive
        return HubModelSpec.TryParse(modelArg, out _);
    }
}
