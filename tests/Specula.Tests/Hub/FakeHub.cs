using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Specula.Tests.Hub;

/// <summary>
/// A minimal HTTP/1.1 server on loopback that behaves like the Hugging Face hub for what pulling uses:
/// <c>GET /api/models/OWNER/REPO/tree/REV?recursive=true</c> (JSON entries with <c>lfs.oid</c>, pagination by
/// <c>Link: &lt;...&gt;; rel="next"</c>), <c>GET /OWNER/REPO/resolve/REV/PATH</c> (302 to a CDN with
/// <c>X-Linked-Etag</c>/<c>X-Linked-Size</c> for LFS files, 200 with the bytes for small git files), and a
/// "CDN" on a second port serving <c>Range</c> requests with 206. Errors carry <c>X-Error-Code</c> as the hub's
/// do. It can drop or stall CDN responses mid-file, ignore ranges, lie about checksums, and records every
/// request. One connection per request (<c>Connection: close</c>).
/// </summary>
sealed class FakeHub : IAsyncDisposable
{
    sealed record FakeFile(string Path, byte[] Content, bool Lfs, string AdvertisedSha256, string GitSha1);
    sealed record Repo(List<FakeFile> Files)
    {
        public string? RequiredToken { get; set; }
    }

    /// <summary>One request as the server saw it.</summary>
    public sealed record Request(string Server, string Method, string Target, IReadOnlyDictionary<string, string> Headers)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    readonly TcpListener hubListener = new(IPAddress.Loopback, 0);
    readonly TcpListener cdnListener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<string, Repo> repos = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> renames = new(StringComparer.Ordinal);
    readonly Task[] acceptLoops;
    int dropsLeft, dropAfterBytes, stallsLeft, stallAfterBytes;

    public Uri Endpoint { get; }
    public Uri CdnEndpoint { get; }
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Tree entries per page; 0 sends the whole tree in one response.</summary>
    public int TreePageSize { get; set; }

    /// <summary>When true the CDN answers range requests with the whole file (200), as some servers do.</summary>
    public bool IgnoreRanges { get; set; }

    /// <summary>Bytes the CDN has sent in response bodies.</summary>
    public long CdnBytesServed => Interlocked.Read(ref cdnBytesServed);
    long cdnBytesServed;

    public FakeHub()
    {
        hubListener.Start();
        cdnListener.Start();
        Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)hubListener.LocalEndpoint).Port}");
        CdnEndpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)cdnListener.LocalEndpoint).Port}");
        acceptLoops = [AcceptLoop(hubListener, "hub"), AcceptLoop(cdnListener, "cdn")];
    }

    /// <summary>Adds a file; <paramref name="advertisedSha256"/> makes the hub publish a wrong checksum.</summary>
    public void AddFile(string repoId, string path, byte[] content, bool lfs = true, string? advertisedSha256 = null)
    {
        var repo = repos.GetOrAdd(repoId, _ => new Repo([]));
        var gitSha1 = Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
        lock (repo.Files) repo.Files.Add(new FakeFile(path, content, lfs, advertisedSha256 ?? Convert.ToHexStringLower(SHA256.HashData(content)), gitSha1));
    }

    /// <summary>Makes a repository gated: requests need <c>Authorization: Bearer TOKEN</c>.</summary>
    public void Gate(string repoId, string token) => repos.GetOrAdd(repoId, _ => new Repo([])).RequiredToken = token;

    /// <summary>Makes <paramref name="oldId"/> redirect (307, relative Location) to <paramref name="newId"/>, as after a rename.</summary>
    public void Rename(string oldId, string newId) => renames[oldId] = newId;

    /// <summary>The next <paramref name="count"/> CDN responses close the connection after <paramref name="afterBytes"/> body bytes.</summary>
    public void DropNextDownloads(int count, int afterBytes) { dropAfterBytes = afterBytes; Volatile.Write(ref dropsLeft, count); }

    /// <summary>The next <paramref name="count"/> CDN responses stop sending (but stay open) after <paramref name="afterBytes"/> bytes.</summary>
    public void StallNextDownloads(int count, int afterBytes) { stallAfterBytes = afterBytes; Volatile.Write(ref stallsLeft, count); }

    public IEnumerable<Request> CdnRequests => Requests.Where(r => r.Server == "cdn");
    public IEnumerable<Request> HubRequests => Requests.Where(r => r.Server == "hub");

    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        hubListener.Stop();
        cdnListener.Stop();
        try { await Task.WhenAll(acceptLoops); } catch (Exception) { /* listeners stopped */ }
        stopping.Dispose();
    }

    async Task AcceptLoop(TcpListener listener, string server)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stopping.Token); }
            catch (Exception) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try { await HandleAsync(client.GetStream(), server); }
                    catch (IOException) { /* the client went away */ }
                    catch (OperationCanceledException) { /* shutting down */ }
                }
            });
        }
    }

    async Task HandleAsync(NetworkStream stream, string server)
    {
        var request = await ReadRequestAsync(stream, server);
        if (request == null) return;
        Requests.Enqueue(request);
        if (server == "cdn") await ServeCdnAsync(stream, request);
        else await ServeHubAsync(stream, request);
    }

    static async Task<Request?> ReadRequestAsync(NetworkStream stream, string server)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 65536)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n') break;
        }
        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0) headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new Request(server, requestLine[0], requestLine[1], headers);
    }

    async Task ServeHubAsync(NetworkStream stream, Request request)
    {
        var pathAndQuery = request.Target.Split('?', 2);
        var segments = pathAndQuery[0].Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var query = pathAndQuery.Length > 1 ? pathAndQuery[1] : "";

        bool isTree = segments.Length >= 6 && segments[0] == "api" && segments[1] == "models" && segments[4] == "tree";
        bool isResolve = segments.Length >= 5 && segments[2] == "resolve";
        if (!isTree && !isResolve) { await RespondAsync(stream, 404, "Not Found", []); return; }

        var repoId = isTree ? $"{segments[2]}/{segments[3]}" : $"{segments[0]}/{segments[1]}";
        if (renames.TryGetValue(repoId, out var newId))
        {
            var moved = request.Target.Replace($"/{repoId}/", $"/{newId}/", StringComparison.Ordinal);
            await RespondAsync(stream, 307, "Temporary Redirect", [("Location", moved)]);
            return;
        }
        if (!repos.TryGetValue(repoId, out var repo))
        {
            // Like the hub: anonymous callers cannot tell a missing repo from a private one.
            bool anonymous = request.Header("Authorization") == null;
            await RespondAsync(stream, anonymous ? 401 : 404, anonymous ? "Unauthorized" : "Not Found",
                               [("X-Error-Code", "RepoNotFound"), ("X-Error-Message", "Repository not found")]);
            return;
        }
        if (repo.RequiredToken != null)
        {
            var authorization = request.Header("Authorization");
            if (authorization == null)
            {
                await RespondAsync(stream, 401, "Unauthorized", [("X-Error-Code", "GatedRepo"), ("X-Error-Message", $"Access to model {repoId} is restricted.")]);
                return;
            }
            if (authorization != $"Bearer {repo.RequiredToken}")
            {
                await RespondAsync(stream, 403, "Forbidden", [("X-Error-Code", "GatedRepo"), ("X-Error-Message", "You are not in the authorized list.")]);
                return;
            }
        }

        List<FakeFile> files;
        lock (repo.Files) files = repo.Files.ToList();
        if (isTree) await ServeTreeAsync(stream, repoId, segments[5], files, query);
        else await ServeResolveAsync(stream, repoId, string.Join('/', segments.Skip(4)), files);
    }

    async Task ServeTreeAsync(NetworkStream stream, string repoId, string revision, List<FakeFile> files, string query)
    {
        var entries = new List<object>();
        foreach (var folder in files.Select(f => f.Path).Where(p => p.Contains('/')).Select(p => p[..p.LastIndexOf('/')]).Distinct())
            entries.Add(new { type = "directory", oid = new string('d', 40), size = 0, path = folder });
        foreach (var file in files)
        {
            if (file.Lfs)
                entries.Add(new { type = "file", oid = file.GitSha1, size = file.Content.Length, path = file.Path,
                                  lfs = new { oid = file.AdvertisedSha256, size = file.Content.Length, pointerSize = 134 } });
            else
                entries.Add(new { type = "file", oid = file.GitSha1, size = file.Content.Length, path = file.Path });
        }

        int start = query.Split('&').Where(p => p.StartsWith("cursor=", StringComparison.Ordinal))
                         .Select(p => int.Parse(p["cursor=".Length..], CultureInfo.InvariantCulture)).FirstOrDefault();
        int pageSize = TreePageSize > 0 ? TreePageSize : entries.Count;
        var page = entries.Skip(start).Take(pageSize).ToList();
        var headers = new List<(string, string)> { ("Content-Type", "application/json") };
        if (start + pageSize < entries.Count)
            headers.Add(("Link", $"<{Endpoint}api/models/{repoId}/tree/{revision}?recursive=true&cursor={start + pageSize}>; rel=\"next\""));
        await RespondAsync(stream, 200, "OK", headers, JsonSerializer.SerializeToUtf8Bytes(page));
    }

    async Task ServeResolveAsync(NetworkStream stream, string repoId, string path, List<FakeFile> files)
    {
        var file = files.FirstOrDefault(f => f.Path == path);
        if (file == null)
        {
            await RespondAsync(stream, 404, "Not Found", [("X-Error-Code", "EntryNotFound"), ("X-Error-Message", "Entry not found")]);
            return;
        }
        if (!file.Lfs)
        {
            await RespondAsync(stream, 200, "OK", [("ETag", $"\"{file.GitSha1}\"")], file.Content);
            return;
        }
        await RespondAsync(stream, 302, "Found",
        [
            ("Location", $"{CdnEndpoint}repos/{file.AdvertisedSha256}?X-Amz-Signature=fake"),
            ("X-Linked-Etag", $"\"{file.AdvertisedSha256}\""),
            ("X-Linked-Size", file.Content.Length.ToString(CultureInfo.InvariantCulture)),
            ("ETag", $"\"{file.AdvertisedSha256}\""),
            ("X-Repo-Commit", new string('c', 40)),
        ]);
    }

    async Task ServeCdnAsync(NetworkStream stream, Request request)
    {
        var sha = request.Target.Split('?')[0].Split('/').Last();
        var file = repos.Values.SelectMany(r => { lock (r.Files) return r.Files.ToList(); }).FirstOrDefault(f => f.AdvertisedSha256 == sha);
        if (file == null) { await RespondAsync(stream, 404, "Not Found", []); return; }

        long from = 0;
        var range = request.Header("Range");
        if (range != null && !IgnoreRanges && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            from = long.Parse(range["bytes=".Length..^1], CultureInfo.InvariantCulture);
        if (from > file.Content.Length) { await RespondAsync(stream, 416, "Range Not Satisfiable", []); return; }

        var body = file.Content.AsMemory((int)from);
        var headers = new List<(string, string)> { ("ETag", $"\"{sha}\""), ("Accept-Ranges", "bytes"), ("Content-Type", "application/octet-stream") };
        if (from > 0) headers.Add(("Content-Range", $"bytes {from}-{file.Content.Length - 1}/{file.Content.Length}"));
        int status = from > 0 ? 206 : 200;

        if (Interlocked.Decrement(ref dropsLeft) >= 0)
        {
            // Promise the whole body, send part of it, hang up.
            await RespondAsync(stream, status, status == 206 ? "Partial Content" : "OK", headers, body[..Math.Min(dropAfterBytes, body.Length)], contentLength: body.Length);
            return;
        }
        if (Interlocked.Decrement(ref stallsLeft) >= 0)
        {
            await RespondAsync(stream, status, status == 206 ? "Partial Content" : "OK", headers, body[..Math.Min(stallAfterBytes, body.Length)], contentLength: body.Length);
            try { await Task.Delay(TimeSpan.FromSeconds(30), stopping.Token); } catch (OperationCanceledException) { }
            return;
        }
        await RespondAsync(stream, status, status == 206 ? "Partial Content" : "OK", headers, body);
    }

    async Task RespondAsync(NetworkStream stream, int status, string reason, IEnumerable<(string Name, string Value)> headers,
                            ReadOnlyMemory<byte> body = default, long? contentLength = null)
    {
        var head = new StringBuilder($"HTTP/1.1 {status} {reason}\r\n");
        foreach (var (name, value) in headers) head.Append($"{name}: {value}\r\n");
        head.Append($"Content-Length: {contentLength ?? body.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        // Write in small pieces so a client sees a stream, not one buffer.
        for (int offset = 0; offset < body.Length; offset += 16384)
        {
            var piece = body.Slice(offset, Math.Min(16384, body.Length - offset));
            await stream.WriteAsync(piece);
            if (stream.Socket.LocalEndPoint is IPEndPoint local && local.Port == CdnEndpoint.Port) Interlocked.Add(ref cdnBytesServed, piece.Length);
        }
        await stream.FlushAsync();
    }
}
