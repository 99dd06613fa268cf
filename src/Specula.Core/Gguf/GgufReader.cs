using System.IO.MemoryMappedFiles;
using Specula.Tensors;

namespace Specula.Gguf;

/// <summary>
/// A GGUF file (versions 2 and 3), memory-mapped: the header, metadata and tensor table are parsed and
/// validated on open; tensor data stays in the mapping and is read in place.
/// </summary>
public sealed unsafe class GgufReader : IDisposable
{
    const uint Magic = 0x46554747; // "GGUF" little-endian
    const int MaxArrayNesting = 8;
    const int MaxDimensions = 4;
    public const uint DefaultAlignment = 32;

    readonly MemoryMappedFile? _file;
    readonly MemoryMappedViewAccessor? _view;
    readonly byte* _base;
    readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    bool _disposed;

    public string Path { get; }
    public long FileSize { get; }
    public uint Version { get; }
    public uint Alignment { get; }
    public long DataOffset { get; }
    /// <summary>Metadata in file order. Values are boxed primitives, strings, or <see cref="GgufArray"/>.</summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public IReadOnlyList<string> MetadataKeys { get; }
    public IReadOnlyDictionary<string, GgufValueType> MetadataTypes { get; }
    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    GgufReader(string path)
    {
        Path = path;
        var fileInfo = new FileInfo(path);
        if (!fileInfo.Exists) throw new FileNotFoundException($"model file not found: {path}", path);
        FileSize = fileInfo.Length;
        if (FileSize < 24) throw new GgufFormatException(0, $"file is {FileSize} bytes, too small for a GGUF header (24 bytes)");

        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _base = pointer + _view.PointerOffset;

            var cursor = new GgufCursor(_base, FileSize);
            uint magic = cursor.ReadUInt32("magic");
            if (magic != Magic)
                throw new GgufFormatException(0, $"not a GGUF file (magic 0x{magic:X8}, expected 0x{Magic:X8} \"GGUF\")");
            Version = cursor.ReadUInt32("version");
            if (Version is not (2 or 3))
                throw new GgufFormatException(4, $"unsupported GGUF version {Version} (supported: 2, 3)");

            // Each tensor info takes at least 8 (name length) + 4 + 8 + 4 + 8 bytes; each key-value at least 8 + 4 + 1.
            long tensorCount = cursor.ReadCount("tensor count", 32);
            long kvCount = cursor.ReadCount("metadata key-value count", 13);

            var metadata = new Dictionary<string, object>((int)kvCount, StringComparer.Ordinal);
            var types = new Dictionary<string, GgufValueType>((int)kvCount, StringComparer.Ordinal);
            var keys = new List<string>((int)kvCount);
            for (long i = 0; i < kvCount; i++)
            {
                long at = cursor.Position;
                string key = cursor.ReadString($"metadata key #{i}");
                var type = (GgufValueType)cursor.ReadUInt32($"type of metadata '{key}'");
                object value = ReadValue(ref cursor, type, key, 0);
                if (!metadata.TryAdd(key, value))
                    throw new GgufFormatException(at, $"duplicate metadata key '{key}'");
                types[key] = type;
                keys.Add(key);
            }
            Metadata = metadata;
            MetadataTypes = types;
            MetadataKeys = keys;

            Alignment = DefaultAlignment;
            if (metadata.TryGetValue("general.alignment", out var alignValue))
            {
                if (alignValue is not uint align || align == 0 || (align & (align - 1)) != 0)
                    throw new GgufFormatException(0, $"general.alignment must be a power-of-two uint32, got {alignValue}");
                Alignment = align;
            }

            var infos = new List<(string Name, long[] Dims, GgmlType Type, ulong RelOffset, long InfoAt)>((int)tensorCount);
            for (long i = 0; i < tensorCount; i++)
            {
                long at = cursor.Position;
                string name = cursor.ReadString($"name of tensor #{i}");
                uint nDims = cursor.ReadUInt32($"dimension count of tensor '{name}'");
                if (nDims > MaxDimensions)
                    throw new GgufFormatException(at, $"tensor '{name}' has {nDims} dimensions (at most {MaxDimensions})");
                var dims = new long[nDims];
                for (int d = 0; d < nDims; d++)
                {
                    ulong dim = cursor.ReadUInt64($"dimension {d} of tensor '{name}'");
                    if (dim == 0 || dim > long.MaxValue / 2)
                        throw new GgufFormatException(cursor.Position - 8, $"tensor '{name}' has invalid dimension {d} = {dim}");
                    dims[d] = (long)dim;
                }
                var type = (GgmlType)cursor.ReadUInt32($"type of tensor '{name}'");
                ulong offset = cursor.ReadUInt64($"data offset of tensor '{name}'");
                infos.Add((name, dims, type, offset, at));
            }

            DataOffset = AlignUp(cursor.Position, Alignment);
            if (tensorCount > 0 && DataOffset > FileSize)
                throw new GgufFormatException(cursor.Position, $"tensor data section would start at {DataOffset}, past the end of the {FileSize}-byte file");

            var tensors = new List<GgufTensorInfo>(infos.Count);
            _tensorsByName = new Dictionary<string, GgufTensorInfo>(infos.Count, StringComparer.Ordinal);
            foreach (var (name, dims, type, relOffset, infoAt) in infos)
            {
                if (!GgmlTypeInfo.TryGet(type, out var typeInfo))
                    throw new GgufFormatException(infoAt, $"tensor '{name}' has unknown type id {(uint)type}");
                long elements = 1;
                foreach (long d in dims)
                {
                    if (elements > long.MaxValue / d)
                        throw new GgufFormatException(infoAt, $"tensor '{name}' element count overflows");
                    elements *= d;
                }
                long rowLength = dims.Length == 0 ? 1 : dims[0];
                if (rowLength % typeInfo.BlockSize != 0)
                    throw new GgufFormatException(infoAt, $"tensor '{name}' of type {type} has rows of {rowLength} elements, not a multiple of its block size {typeInfo.BlockSize}");
                long byteSize = elements / typeInfo.BlockSize * typeInfo.BytesPerBlock;
                if (relOffset % Alignment != 0)
                    throw new GgufFormatException(infoAt, $"tensor '{name}' data offset {relOffset} is not aligned to {Alignment}");
                if (relOffset > (ulong)(FileSize - DataOffset) || byteSize > FileSize - DataOffset - (long)relOffset)
                    throw new GgufFormatException(infoAt, $"tensor '{name}' data ({byteSize} bytes at data offset {relOffset}) extends past the end of the {FileSize}-byte file");
                var info = new GgufTensorInfo(name, dims, type, DataOffset + (long)relOffset, byteSize);
                if (!_tensorsByName.TryAdd(name, info))
                    throw new GgufFormatException(infoAt, $"duplicate tensor name '{name}'");
                tensors.Add(info);
            }
            Tensors = tensors;
        }
        catch
        {
            ReleaseMapping();
            throw;
        }
    }

    /// <summary>Opens and validates a GGUF file. Throws <see cref="GgufFormatException"/> for a malformed file and
    /// <see cref="FileNotFoundException"/> for a missing one.</summary>
    public static GgufReader Open(string path) => new(path);

    static long AlignUp(long value, uint alignment) => (value + alignment - 1) / alignment * alignment;

    static object ReadValue(ref GgufCursor cursor, GgufValueType type, string key, int depth)
    {
        string what = $"value of '{key}'";
        switch (type)
        {
            case GgufValueType.UInt8: return cursor.ReadUInt8(what);
            case GgufValueType.Int8: return cursor.ReadInt8(what);
            case GgufValueType.UInt16: return cursor.ReadUInt16(what);
            case GgufValueType.Int16: return cursor.ReadInt16(what);
            case GgufValueType.UInt32: return cursor.ReadUInt32(what);
            case GgufValueType.Int32: return cursor.ReadInt32(what);
            case GgufValueType.Float32: return cursor.ReadFloat32(what);
            case GgufValueType.Bool: return cursor.ReadBool(what);
            case GgufValueType.String: return cursor.ReadString(what);
            case GgufValueType.UInt64: return cursor.ReadUInt64(what);
            case GgufValueType.Int64: return cursor.ReadInt64(what);
            case GgufValueType.Float64: return cursor.ReadFloat64(what);
            case GgufValueType.Array:
                if (depth >= MaxArrayNesting) throw cursor.Error($"'{key}': arrays nested deeper than {MaxArrayNesting}");
                return ReadArray(ref cursor, key, depth + 1);
            default:
                throw new GgufFormatException(cursor.Position - 4, $"'{key}' has unknown value type {(uint)type}");
        }
    }

    static GgufArray ReadArray(ref GgufCursor cursor, string key, int depth)
    {
        var elementType = (GgufValueType)cursor.ReadUInt32($"element type of array '{key}'");
        long count = cursor.ReadCount($"length of array '{key}'", MinimumSize(elementType));
        string what = $"element of array '{key}'";
        int n = (int)count;
        switch (elementType)
        {
            case GgufValueType.UInt8: { var a = new byte[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadUInt8(what); return new(elementType, a); }
            case GgufValueType.Int8: { var a = new sbyte[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadInt8(what); return new(elementType, a); }
            case GgufValueType.UInt16: { var a = new ushort[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadUInt16(what); return new(elementType, a); }
            case GgufValueType.Int16: { var a = new short[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadInt16(what); return new(elementType, a); }
            case GgufValueType.UInt32: { var a = new uint[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadUInt32(what); return new(elementType, a); }
            case GgufValueType.Int32: { var a = new int[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadInt32(what); return new(elementType, a); }
            case GgufValueType.Float32: { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadFloat32(what); return new(elementType, a); }
            case GgufValueType.Bool: { var a = new bool[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadBool(what); return new(elementType, a); }
            case GgufValueType.String: { var a = new string[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadString(what); return new(elementType, a); }
            case GgufValueType.UInt64: { var a = new ulong[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadUInt64(what); return new(elementType, a); }
            case GgufValueType.Int64: { var a = new long[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadInt64(what); return new(elementType, a); }
            case GgufValueType.Float64: { var a = new double[n]; for (int i = 0; i < n; i++) a[i] = cursor.ReadFloat64(what); return new(elementType, a); }
            case GgufValueType.Array:
            {
                if (depth >= MaxArrayNesting) throw cursor.Error($"'{key}': arrays nested deeper than {MaxArrayNesting}");
                var a = new GgufArray[n];
                for (int i = 0; i < n; i++) a[i] = ReadArray(ref cursor, key, depth + 1);
                return new(elementType, a);
            }
            default:
                throw new GgufFormatException(cursor.Position - 12, $"array '{key}' has unknown element type {(uint)elementType}");
        }
    }

    static long MinimumSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 or GgufValueType.String => 8,
        GgufValueType.Array => 12,
        _ => 1,
    };

    // ---- Tensors ----

    public bool TryGetTensor(string name, out GgufTensorInfo info) => _tensorsByName.TryGetValue(name, out info!);

    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var info) ? info : throw new InvalidDataException($"tensor '{name}' not found in {System.IO.Path.GetFileName(Path)}");

    /// <summary>Pointer to a tensor's bytes inside the mapping; valid until this reader is disposed.</summary>
    public byte* GetTensorPointer(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + tensor.FileOffset;
    }

    /// <summary>Tells the system this process will not read <paramref name="tensor"/>'s mapped bytes again
    /// soon (they were copied into a repacked layout), so its pages stop counting as resident. Reading them
    /// later is still correct: they fault back in from the file.</summary>
    public void ReleaseTensorPages(GgufTensorInfo tensor)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        MappedFilePages.Release(_base + tensor.FileOffset, tensor.ByteSize);
    }

    /// <summary>A tensor's bytes (for tensors under 2 GiB; larger ones are read through <see cref="GetTensorPointer"/>).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue) throw new NotSupportedException($"tensor '{tensor.Name}' is over 2 GiB; read it by pointer");
        return new ReadOnlySpan<byte>(GetTensorPointer(tensor), (int)tensor.ByteSize);
    }

    // ---- Typed metadata access ----

    public bool Contains(string key) => Metadata.ContainsKey(key);

    public string? GetString(string key) => Metadata.TryGetValue(key, out var v) ? v as string ?? throw TypeError(key, "a string", v) : null;

    /// <summary>Integer metadata of any integer width (files disagree on uint32 vs int32 vs uint64).</summary>
    public long? GetInteger(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            byte b => b, sbyte sb => sb, ushort us => us, short s => s, uint ui => ui, int i => i,
            ulong ul when ul <= long.MaxValue => (long)ul, long l => l,
            _ => throw TypeError(key, "an integer", v),
        };
    }

    public double? GetFloat(string key)
    {
        if (!Metadata.TryGetValue(key, out var v)) return null;
        return v switch
        {
            float f => f, double d => d,
            _ => GetInteger(key) ?? throw TypeError(key, "a number", v),
        };
    }

    public bool? GetBool(string key) => Metadata.TryGetValue(key, out var v) ? v as bool? ?? throw TypeError(key, "a boolean", v) : null;

    public GgufArray? GetArray(string key) => Metadata.TryGetValue(key, out var v) ? v as GgufArray ?? throw TypeError(key, "an array", v) : null;

    public string[]? GetStringArray(string key)
    {
        var array = GetArray(key);
        if (array == null) return null;
        return array.Values as string[] ?? throw TypeError(key, "an array of strings", array);
    }

    public float[]? GetFloatArray(string key)
    {
        var array = GetArray(key);
        if (array == null) return null;
        return array.Values as float[] ?? throw TypeError(key, "an array of float32", array);
    }

    /// <summary>An integer array of any element width, widened to int.</summary>
    public int[]? GetInt32Array(string key)
    {
        var array = GetArray(key);
        if (array == null) return null;
        var values = array.Values;
        var result = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values.GetValue(i) switch
            {
                byte b => b, sbyte sb => sb, ushort us => us, short s => s, int n => n,
                uint ui when ui <= int.MaxValue => (int)ui,
                long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
                ulong ul when ul <= int.MaxValue => (int)ul,
                _ => throw TypeError(key, "an array of 32-bit integers", array),
            };
        }
        return result;
    }

    static InvalidDataException TypeError(string key, string expected, object actual) =>
        new($"GGUF metadata '{key}' should be {expected}, but is {Describe(actual)}");

    static string Describe(object value) => value switch
    {
        GgufArray a => $"an array of {a.ElementType} ({a.Count} elements)",
        string s => $"the string \"{(s.Length > 40 ? s[..40] + "..." : s)}\"",
        _ => $"{value.GetType().Name} {value}",
    };

    void ReleaseMapping()
    {
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseMapping();
    }
}
