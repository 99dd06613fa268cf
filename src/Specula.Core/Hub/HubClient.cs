using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Specula.Hub;

/// <summary>
/// Talks to a Hugging Face-compatible hub: lists a repository's files through the tree API and opens file
/// downloads through <c>resolve/</c> URLs. Redirects are followed by hand so that the token is sent to the
/// hub only, never to the CDN the hub redirects large files to (huggingface_hub does the same), and so that
/// the hub's <c>X-Linked-Etag</c> / <c>X-Linked-Size</c> headers on the redirect itself can be read.
/// HTTP failures become <see cref="HubException"/>s with one actionable line.
/// </summary>
public sealed class HubClient : IDisposable
{
    const int MaxRedirects = 10;
    const int MaxTreePages = 1000;
    const int MaxTreePageBytes = 64 << 20; // a tree page is a few KB; refuse to buffer anything absurd
    static readonly TimeSpan ResponseHeadersTimeout = TimeSpan.FromSeconds(30);

    readonly HttpClient http;
    readonly string baseUrl;
    readonly string hubAuthority; // scheme://host:port of the hub: the only place the token is sent

    public HubOptions Options { get; }

    /// <param name="options">Endpoint, token and revision to use.</param>
    /// <param name="handler">Transport to use instead of a fresh <see cref="SocketsHttpHandler"/> (tests).
    /// It must not follow redirects itself.</param>
    public HubClient(HubOptions options, HttpMessageHandler? handler = null)
    {
        Options = options;
        baseUrl = options.Endpoint.AbsoluteUri.TrimEnd('/');
        hubAuthority = options.Endpoint.GetLeftPart(UriPartial.Authority);
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None, // byte ranges refer to the stored bytes
            ConnectTimeout = TimeSpan.FromSeconds(15),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("specula", typeof(HubClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    public void Dispose() => http.Dispose();

    /// <summary>The web page of a repository, for messages.</summary>
    public string RepoPage(string repoId) => $"{baseUrl}/{repoId}";

    /// <summary>All files of <paramref name="repoId"/> at the configured revision, in every folder.</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(string repoId, CancellationToken cancellationToken = default)
    {
        var files = new List<HubFile>();
        Uri? page = new($"{baseUrl}/api/models/{repoId}/tree/{Uri.EscapeDataString(Options.Revision)}?recursive=true");
        for (int pages = 0; page != null; pages++)
        {
            if (pages == MaxTreePages) throw new HubException($"the file list of {repoId} did not end after {MaxTreePages} pages");
            using var response = await SendAsync(page, repoId, $"repository {repoId}", rangeStart: 0, cancellationToken).ConfigureAwait(false);
            var json = await ReadBoundedAsync(response.Message.Content, MaxTreePageBytes, repoId, cancellationToken).ConfigureAwait(false);
            ParseTreePage(json, repoId, files);
            page = NextPageLink(response.Message, page);
        }
        return files;
    }

    /// <summary>
    /// Starts downloading <paramref name="path"/> of <paramref name="repoId"/> from byte <paramref name="rangeStart"/>
    /// (a <c>Range</c> request when it is not 0). The caller disposes the response and checks whether the
    /// server honoured the range (206) or sent the whole file (200).
    /// </summary>
    public Task<HubResponse> OpenFileAsync(string repoId, string path, long rangeStart, CancellationToken cancellationToken = default)
    {
        var escapedPath = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
        var url = new Uri($"{baseUrl}/{repoId}/resolve/{Uri.EscapeDataString(Options.Revision)}/{escapedPath}");
        return SendAsync(url, repoId, $"file '{path}' in {repoId}", rangeStart, cancellationToken);
    }

    /// <summary>GET with redirects followed by hand; throws a <see cref="HubException"/> for any failure status.</summary>
    async Task<HubResponse> SendAsync(Uri url, string repoId, string what, long rangeStart, CancellationToken cancellationToken)
    {
        string? etag = null;
        long? linkedSize = null;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (rangeStart > 0) request.Headers.Range = new RangeHeaderValue(rangeStart, null);
            bool toHub = string.Equals(url.GetLeftPart(UriPartial.Authority), hubAuthority, StringComparison.OrdinalIgnoreCase);
            if (toHub && Options.Token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.Token);

            var response = await SendOnceAsync(request, cancellationToken).ConfigureAwait(false);
            // The hub names the content (sha256 for LFS files) in X-Linked-Etag on its redirect, or in ETag when it
            // serves the bytes itself; a CDN's own ETag means something else and is ignored.
            etag ??= Header(response, "X-Linked-Etag") ?? (toHub ? Header(response, "ETag") : null);
            linkedSize ??= long.TryParse(Header(response, "X-Linked-Size"), out var size) ? size : null;

            if (IsRedirect(response.StatusCode))
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location == null) throw new HubException($"{Options.Endpoint.Host} redirected the request for {what} without saying where to");
                if (hop == MaxRedirects) throw new HubException($"too many redirects while fetching {what}");
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                using (response) throw ErrorFor(response, repoId, what);
            }
            return new HubResponse(response, etag, linkedSize);
        }
    }

    async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ResponseHeadersTimeout);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new HubUnreachableException($"{request.RequestUri!.Host} did not answer within {ResponseHeadersTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException ex) when (ex.StatusCode == null)
        {
            throw new HubUnreachableException($"cannot reach {request.RequestUri!.GetLeftPart(UriPartial.Authority)} ({ex.Message})", ex);
        }
    }

    HubException ErrorFor(HttpResponseMessage response, string repoId, string what)
    {
        int status = (int)response.StatusCode;
        string host = Options.Endpoint.Host;
        string? code = Header(response, "X-Error-Code");
        string? serverMessage = Header(response, "X-Error-Message");
        string detail = serverMessage != null ? $" ({serverMessage})" : "";
        bool anonymous = Options.Token == null;
        string tokensPage = $"{baseUrl}/settings/tokens";

        switch (status)
        {
            case 401 when anonymous:
                return new HubAccessDeniedException(
                    $"{host} refused access to {repoId} (HTTP 401): it is gated or private, or does not exist. " +
                    $"If it exists, set {HubOptions.TokenVariable} to an access token from {tokensPage}");
            case 401 when code == "RepoNotFound":
                return new HubNotFoundException($"repository {repoId} was not found, or the account of {HubOptions.TokenVariable} cannot read it (HTTP 401)");
            case 401:
                return new HubAccessDeniedException($"{host} rejected {HubOptions.TokenVariable} (HTTP 401){detail}: check that it is a valid access token ({tokensPage})");
            case 403 when anonymous:
                return new HubAccessDeniedException(
                    $"{repoId} is gated (HTTP 403){detail}: accept its terms at {RepoPage(repoId)}, then set {HubOptions.TokenVariable} to an access token of that account");
            case 403:
                return new HubAccessDeniedException(
                    $"the account of {HubOptions.TokenVariable} may not read {repoId} (HTTP 403){detail}: accept its terms at {RepoPage(repoId)} or use a token with read access");
            case 404 when code == "RepoNotFound":
                return new HubNotFoundException($"repository {repoId} was not found on {host}" + (anonymous ? $" (if it is private, set {HubOptions.TokenVariable})" : ""));
            case 404 when code == "RevisionNotFound":
                return new HubNotFoundException($"revision '{Options.Revision}' of {repoId} was not found on {host}");
            case 404:
                return new HubNotFoundException($"{what} was not found on {host}");
            case 429 or >= 500:
                return new HubServerException($"{host} answered HTTP {status} for {what}{detail}; try again later", status);
            default:
                return new HubException($"{host} answered HTTP {status} {response.ReasonPhrase} for {what}{detail}");
        }
    }

    static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    static string? Header(HttpResponseMessage response, string name)
    {
        if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
            return values.FirstOrDefault();
        return null;
    }

    static async Task<byte[]> ReadBoundedAsync(HttpContent content, int limit, string repoId, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit) throw new HubException($"the file list of {repoId} is larger than {limit >> 20} MiB; refusing it");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Adds the files of one tree API page (a JSON array of entries) to <paramref name="files"/>.</summary>
    static void ParseTreePage(byte[] json, string repoId, List<HubFile> files)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException ex) { throw new HubException($"the hub's file list for {repoId} is not valid JSON ({ex.Message})"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
                throw new HubException($"the hub's file list for {repoId} is not a JSON array");
            foreach (var entry in document.RootElement.EnumerateArray())
            {
                var file = ParseTreeEntry(entry);
                if (file != null) files.Add(file);
            }
        }
    }

    /// <summary>
    /// One tree entry: <c>{"type":"file","path":...,"size":...,"oid":git-sha1,"lfs":{"oid":sha256,"size":...}}</c>.
    /// Folders, malformed entries and paths that could escape a local folder are skipped.
    /// </summary>
    static HubFile? ParseTreeEntry(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        if (!entry.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "file") return null;
        if (!entry.TryGetProperty("path", out var pathElement) || pathElement.ValueKind != JsonValueKind.String) return null;
        var path = pathElement.GetString()!;
        if (!HubModelSpec.IsSafeRepoPath(path)) return null;

        if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object
            && TryString(lfs, "oid", out var sha256) && sha256.Length == 64 && ContentDigest.IsHex(sha256)
            && TryLong(lfs, "size", out var lfsSize))
            return new HubFile(path, lfsSize, ContentDigest.Sha256(sha256));

        if (TryString(entry, "oid", out var gitOid) && gitOid.Length == 40 && ContentDigest.IsHex(gitOid) && TryLong(entry, "size", out var size))
            return new HubFile(path, size, ContentDigest.GitBlobSha1(gitOid));
        return null;
    }

    static bool TryString(JsonElement element, string name, out string value)
    {
        value = "";
        if (!element.TryGetProperty(name, out var property) || property.ValueKind != JsonValueKind.String) return false;
        value = property.GetString()!;
        return true;
    }

    static bool TryLong(JsonElement element, string name, out long value)
    {
        value = 0;
        return element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.Number
               && property.TryGetInt64(out value) && value >= 0;
    }

    /// <summary>The <c>rel="next"</c> target of a <c>Link</c> header (how the tree API paginates), or null.</summary>
    static Uri? NextPageLink(HttpResponseMessage response, Uri current)
    {
        var link = Header(response, "Link");
        if (link == null) return null;
        foreach (var part in link.Split(','))
        {
            int open = part.IndexOf('<'), close = part.IndexOf('>');
            if (open < 0 || close < open) continue;
            var parameters = part[(close + 1)..];
            if (!parameters.Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase) && !parameters.Contains("rel=next", StringComparison.OrdinalIgnoreCase)) continue;
            return Uri.TryCreate(current, part[(open + 1)..close].Trim(), out var next) ? next : null;
        }
        return null;
    }
}
