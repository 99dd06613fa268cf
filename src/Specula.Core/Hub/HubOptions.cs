namespace Specula.Hub;

/// <summary>
/// Where models come from and where they are kept.
/// <para>
/// <b>Model store.</b> Pulled models live in one folder, laid out as
/// <c>&lt;store&gt;/&lt;owner&gt;/&lt;repo&gt;/&lt;path in repo&gt;</c>. The folder is, first match wins:
/// <list type="number">
/// <item><c>$SPECULA_MODELS</c> when set;</item>
/// <item><c>$XDG_CACHE_HOME/specula/models</c> when <c>XDG_CACHE_HOME</c> is set;</item>
/// <item><c>~/.cache/specula/models</c> (on Windows <c>%LOCALAPPDATA%\specula\models</c>).</item>
/// </list>
/// A download in progress is written next to its final name with a <c>.partial</c> suffix and renamed only
/// once complete and verified, so every <c>.gguf</c> in the store is whole.
/// </para>
/// <para>
/// <b>Hub.</b> <c>$HF_ENDPOINT</c> overrides the hub's base address (default <c>https://huggingface.co</c>),
/// as in huggingface_hub; <c>$HF_TOKEN</c> is sent as <c>Authorization: Bearer</c> to the hub (never to the
/// CDN it redirects to) and is needed for gated or private repositories.
/// </para>
/// </summary>
public sealed record HubOptions
{
    public const string StoreVariable = "SPECULA_MODELS";
    public const string EndpointVariable = "HF_ENDPOINT";
    public const string TokenVariable = "HF_TOKEN";
    public static readonly Uri DefaultEndpoint = new("https://huggingface.co");

    /// <summary>Base address of the hub; API and resolve URLs are built under it.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>Access token for gated or private repositories; null for anonymous access.</summary>
    public string? Token { get; init; }

    /// <summary>Root folder of the local model store.</summary>
    public string StoreRoot { get; init; } = DefaultStoreRoot(Environment.GetEnvironmentVariable);

    /// <summary>Git revision (branch, tag or commit) files are taken from.</summary>
    public string Revision { get; init; } = "main";

    /// <summary>How many times in a row a download may fail without making progress before giving up.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Pause before the first retry; doubled for each further retry without progress.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A connection that delivers no bytes for this long is dropped and the download resumed.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Options from the process environment (see the class summary for the variables).</summary>
    public static HubOptions FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable);

    /// <summary>Options from an environment given as a lookup, so callers and tests need not touch the process's.</summary>
    public static HubOptions FromEnvironment(Func<string, string?> getVariable)
    {
        var endpointText = NonEmpty(getVariable(EndpointVariable));
        Uri endpoint = DefaultEndpoint;
        if (endpointText != null)
        {
            if (!Uri.TryCreate(endpointText.TrimEnd('/'), UriKind.Absolute, out var parsed) || (parsed.Scheme != "http" && parsed.Scheme != "https"))
                throw new FormatException($"{EndpointVariable}='{endpointText}' is not an http(s) URL");
            endpoint = parsed;
        }
        return new HubOptions
        {
            Endpoint = endpoint,
            Token = NonEmpty(getVariable(TokenVariable))?.Trim(),
            StoreRoot = DefaultStoreRoot(getVariable),
        };
    }

    /// <summary>The store folder the given environment selects (see the class summary).</summary>
    public static string DefaultStoreRoot(Func<string, string?> getVariable)
    {
        var explicitRoot = NonEmpty(getVariable(StoreVariable));
        if (explicitRoot != null) return Path.GetFullPath(ExpandHome(explicitRoot));
        var xdgCache = NonEmpty(getVariable("XDG_CACHE_HOME"));
        if (xdgCache != null) return Path.GetFullPath(Path.Combine(ExpandHome(xdgCache), "specula", "models"));
        if (OperatingSystem.IsWindows())
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "specula", "models");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "specula", "models");
    }

    static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
