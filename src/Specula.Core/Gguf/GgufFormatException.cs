namespace Specula.Gguf;

/// <summary>A GGUF file is truncated, malformed or hostile. <see cref="Offset"/> is the byte offset in the
/// file where the problem was found.</summary>
public sealed class GgufFormatException : FormatException
{
    public long Offset { get; }

    public GgufFormatException(long offset, string problem)
        : base($"invalid GGUF file at byte {offset}: {problem}") => Offset = offset;
}
