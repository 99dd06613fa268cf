namespace Specula.Hub;

/// <summary>
/// A model could not be fetched or found. Every message is one line a user can act on. It derives from
/// <see cref="IOException"/> because fetching a model is I/O: callers that already turn I/O failures into
/// clear errors handle these too.
/// </summary>
public class HubException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>The repository, revision or file does not exist (HTTP 404), or no file matches the request.</summary>
public sealed class HubNotFoundException(string message) : HubException(message);

/// <summary>The hub refused access (HTTP 401/403): the repository is gated or private, or the token is wrong.</summary>
public sealed class HubAccessDeniedException(string message) : HubException(message);

/// <summary>The hub could not be reached at all (no network, DNS failure, refused connection, timeout).</summary>
public sealed class HubUnreachableException(string message, Exception? inner = null) : HubException(message, inner);

/// <summary>The hub answered with a server-side or rate-limit error (HTTP 429, 5xx); trying again later may work.</summary>
public sealed class HubServerException(string message, int statusCode) : HubException(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>Downloaded bytes do not match the size or checksum the hub published; nothing was kept.</summary>
public sealed class HubIntegrityException(string message) : HubException(message);

/// <summary>The request names more than one model file; <see cref="Candidates"/> lists them.</summary>
public sealed class AmbiguousModelException(string message, IReadOnlyList<string> candidates) : HubException(message)
{
    public IReadOnlyList<string> Candidates { get; } = candidates;
}
