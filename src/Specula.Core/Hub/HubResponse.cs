namespace Specula.Hub;

/// <summary>
/// A successful response to a file request, with what the hub said about the file on the way: the
/// <c>X-Linked-Etag</c> (or plain <c>ETag</c>) and <c>X-Linked-Size</c> headers, which for LFS files carry
/// the content's SHA-256 and size.
/// </summary>
public sealed class HubResponse(HttpResponseMessage message, string? etag, long? linkedSize) : IDisposable
{
    public HttpResponseMessage Message { get; } = message;

    /// <summary>The entity tag without quotes or a weak-validator prefix, or null.</summary>
    public string? Etag { get; } = etag == null ? null : NormalizeEtag(etag);

    public long? LinkedSize { get; } = linkedSize;

    public void Dispose() => Message.Dispose();

    static string NormalizeEtag(string etag)
    {
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        return value.Trim('"');
    }
}
