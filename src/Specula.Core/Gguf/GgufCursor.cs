using System.Buffers.Binary;
using System.Text;

namespace Specula.Gguf;

/// <summary>Reads little-endian GGUF values from a memory-mapped file, checking every length against the
/// bytes that remain, so that a truncated or hostile file fails with a <see cref="GgufFormatException"/>
/// instead of reading past the end or allocating absurd amounts.</summary>
internal unsafe ref struct GgufCursor
{
    readonly byte* _start;
    readonly long _length;
    long _position;

    public GgufCursor(byte* start, long length)
    {
        _start = start;
        _length = length;
        _position = 0;
    }

    public long Position => _position;
    public long Remaining => _length - _position;

    public GgufFormatException Error(string problem) => new(_position, problem);

    ReadOnlySpan<byte> Take(long count, string what)
    {
        if (count < 0 || count > Remaining)
            throw Error($"{what} needs {count} bytes but only {Remaining} remain (file truncated?)");
        var span = new ReadOnlySpan<byte>(_start + _position, checked((int)count));
        _position += count;
        return span;
    }

    public byte ReadUInt8(string what) => Take(1, what)[0];
    public sbyte ReadInt8(string what) => (sbyte)Take(1, what)[0];
    public ushort ReadUInt16(string what) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what));
    public short ReadInt16(string what) => BinaryPrimitives.ReadInt16LittleEndian(Take(2, what));
    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public int ReadInt32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, what));
    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public long ReadInt64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, what));
    public float ReadFloat32(string what) => BinaryPrimitives.ReadSingleLittleEndian(Take(4, what));
    public double ReadFloat64(string what) => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what));

    public bool ReadBool(string what)
    {
        long at = _position;
        byte b = ReadUInt8(what);
        if (b > 1) throw new GgufFormatException(at, $"{what}: boolean byte must be 0 or 1, got {b}");
        return b == 1;
    }

    /// <summary>A count (of array elements, tensors, key-value pairs) that must fit in what remains,
    /// given that each element takes at least <paramref name="minBytesEach"/> bytes.</summary>
    public long ReadCount(string what, long minBytesEach)
    {
        long at = _position;
        ulong count = ReadUInt64(what);
        if (count > (ulong)Remaining / (ulong)Math.Max(1, minBytesEach) || count > int.MaxValue)
            throw new GgufFormatException(at, $"{what} = {count} cannot fit in the {Remaining} bytes that remain");
        return (long)count;
    }

    public string ReadString(string what)
    {
        long at = _position;
        ulong length = ReadUInt64(what + " length");
        if (length > (ulong)Remaining)
            throw new GgufFormatException(at, $"{what}: string length {length} exceeds the {Remaining} bytes that remain");
        // Lenient decoding: a stray invalid byte in one vocabulary entry should not make a whole model unusable.
        return Encoding.UTF8.GetString(Take((long)length, what));
    }

    public void Seek(long position)
    {
        if (position < 0 || position > _length) throw Error($"seek to {position} outside the file of {_length} bytes");
        _position = position;
    }
}
