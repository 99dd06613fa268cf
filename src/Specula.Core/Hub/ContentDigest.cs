using System.Security.Cryptography;
using System.Text;

namespace Specula.Hub;

/// <summary>How a file's content is identified on the hub.</summary>
public enum DigestKind
{
    /// <summary>SHA-256 of the content: the id of a git-LFS object (all model weights).</summary>
    Sha256,
    /// <summary>Git blob id: SHA-1 of <c>"blob {size}\0"</c> followed by the content (small files kept in git itself).</summary>
    GitBlobSha1,
}

/// <summary>The digest a downloaded file must have, as lowercase hex.</summary>
public readonly record struct ContentDigest(DigestKind Kind, string Hex)
{
    public static ContentDigest Sha256(string hex) => new(DigestKind.Sha256, Normalize(hex, 64));
    public static ContentDigest GitBlobSha1(string hex) => new(DigestKind.GitBlobSha1, Normalize(hex, 40));

    public override string ToString() => $"{(Kind == DigestKind.Sha256 ? "sha256" : "git-sha1")}:{Hex}";

    /// <summary>Starts hashing a file of <paramref name="size"/> bytes; feed it the content in order.</summary>
    public IncrementalHash CreateHasher(long size)
    {
        if (Kind == DigestKind.Sha256) return IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var hasher = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hasher.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return hasher;
    }

    /// <summary>Discards what <paramref name="hasher"/> has seen and prepares it for the content from its first byte.</summary>
    public void Restart(IncrementalHash hasher, long size)
    {
        hasher.GetHashAndReset();
        if (Kind == DigestKind.GitBlobSha1) hasher.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
    }

    /// <summary>True when <paramref name="hash"/> (the hasher's final bytes) is this digest.</summary>
    public bool Matches(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash) == Hex;

    static string Normalize(string hex, int length)
    {
        if (hex.Length != length || !IsHex(hex))
            throw new InvalidDataException($"'{hex}' is not a {length}-digit hexadecimal digest");
        return hex.ToLowerInvariant();
    }

    internal static bool IsHex(string text)
    {
        foreach (char c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        return text.Length > 0;
    }
}
