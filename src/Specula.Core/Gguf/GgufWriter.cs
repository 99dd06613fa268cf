using System.Buffers.Binary;
using System.Text;
using Specula.Tensors;

namespace Specula.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in insertion order, then the tensor table, then tensor data, each tensor
/// aligned to <see cref="Alignment"/>. Used by tests to make synthetic models and by <c>quantize</c>.
/// </summary>
public sealed class GgufWriter
{
    readonly List<(string Key, GgufValueType Type, object Value)> _metadata = new();
    readonly List<(string Name, long[] Dims, GgmlType Type, byte[] Data)> _tensors = new();

    public uint Alignment { get; private set; } = GgufReader.DefaultAlignment;

    public GgufWriter Set(string key, string value) => SetValue(key, GgufValueType.String, value);
    public GgufWriter Set(string key, uint value) => SetValue(key, GgufValueType.UInt32, value);
    public GgufWriter Set(string key, int value) => SetValue(key, GgufValueType.Int32, value);
    public GgufWriter Set(string key, ulong value) => SetValue(key, GgufValueType.UInt64, value);
    public GgufWriter Set(string key, long value) => SetValue(key, GgufValueType.Int64, value);
    public GgufWriter Set(string key, float value) => SetValue(key, GgufValueType.Float32, value);
    public GgufWriter Set(string key, double value) => SetValue(key, GgufValueType.Float64, value);
    public GgufWriter Set(string key, bool value) => SetValue(key, GgufValueType.Bool, value);
    public GgufWriter Set(string key, string[] values) => SetValue(key, GgufValueType.Array, new GgufArray(GgufValueType.String, values));
    public GgufWriter Set(string key, float[] values) => SetValue(key, GgufValueType.Array, new GgufArray(GgufValueType.Float32, values));
    public GgufWriter Set(string key, int[] values) => SetValue(key, GgufValueType.Array, new GgufArray(GgufValueType.Int32, values));
    public GgufWriter Set(string key, GgufArray array) => SetValue(key, GgufValueType.Array, array);

    /// <summary>Sets a value of an explicit type (e.g. a uint8 or int16); replaces an existing key in place.</summary>
    public GgufWriter SetValue(string key, GgufValueType type, object value)
    {
        if (key == "general.alignment")
        {
            if (value is not uint a || a == 0 || (a & (a - 1)) != 0) throw new ArgumentException("general.alignment must be a power-of-two uint32");
            Alignment = a;
        }
        int existing = _metadata.FindIndex(m => m.Key == key);
        if (existing >= 0) _metadata[existing] = (key, type, value);
        else _metadata.Add((key, type, value));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="dims"/> in ggml order (row length first). The bytes are copied.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, ReadOnlySpan<byte> data)
    {
        var info = GgmlTypeInfo.Get(type);
        long elements = 1;
        foreach (long d in dims) elements *= d;
        long expected = info.RowBytes(dims[0]) * (elements / dims[0]);
        if (data.Length != expected)
            throw new ArgumentException($"tensor '{name}' of type {type} and shape [{string.Join(", ", dims)}] needs {expected} bytes, got {data.Length}");
        _tensors.Add((name, (long[])dims.Clone(), type, data.ToArray()));
        return this;
    }

    /// <summary>Adds an F32 tensor.</summary>
    public GgufWriter AddTensor(string name, long[] dims, ReadOnlySpan<float> values) =>
        AddTensor(name, GgmlType.F32, dims, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    public void WriteTo(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        WriteTo(stream);
    }

    public void WriteTo(Stream stream)
    {
        var output = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        output.Write(0x46554747u);
        output.Write(3u);
        output.Write((ulong)_tensors.Count);
        output.Write((ulong)_metadata.Count);
        foreach (var (key, type, value) in _metadata)
        {
            WriteString(output, key);
            output.Write((uint)type);
            WriteValue(output, type, value);
        }

        long offset = 0;
        var offsets = new long[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            offsets[i] = offset;
            offset = AlignUp(offset + _tensors[i].Data.Length);
        }
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (name, dims, type, _) = _tensors[i];
            WriteString(output, name);
            output.Write((uint)dims.Length);
            foreach (long d in dims) output.Write((ulong)d);
            output.Write((uint)type);
            output.Write((ulong)offsets[i]);
        }
        output.Flush();

        long position = stream.Position;
        WritePadding(output, AlignUp(position) - position);
        for (int i = 0; i < _tensors.Count; i++)
        {
            var data = _tensors[i].Data;
            output.Write(data);
            if (i < _tensors.Count - 1) WritePadding(output, AlignUp(data.Length) - data.Length);
        }
        output.Flush();
    }

    long AlignUp(long value) => (value + Alignment - 1) / Alignment * Alignment;

    static void WritePadding(BinaryWriter output, long count)
    {
        for (long i = 0; i < count; i++) output.Write((byte)0);
    }

    static void WriteString(BinaryWriter output, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        output.Write((ulong)bytes.Length);
        output.Write(bytes);
    }

    static void WriteValue(BinaryWriter output, GgufValueType type, object value)
    {
        switch (type)
        {
            case GgufValueType.UInt8: output.Write(Convert.ToByte(value)); break;
            case GgufValueType.Int8: output.Write(Convert.ToSByte(value)); break;
            case GgufValueType.UInt16: output.Write(Convert.ToUInt16(value)); break;
            case GgufValueType.Int16: output.Write(Convert.ToInt16(value)); break;
            case GgufValueType.UInt32: output.Write(Convert.ToUInt32(value)); break;
            case GgufValueType.Int32: output.Write(Convert.ToInt32(value)); break;
            case GgufValueType.Float32: output.Write(Convert.ToSingle(value)); break;
            case GgufValueType.Bool: output.Write((byte)(Convert.ToBoolean(value) ? 1 : 0)); break;
            case GgufValueType.String: WriteString(output, (string)value); break;
            case GgufValueType.UInt64: output.Write(Convert.ToUInt64(value)); break;
            case GgufValueType.Int64: output.Write(Convert.ToInt64(value)); break;
            case GgufValueType.Float64: output.Write(Convert.ToDouble(value)); break;
            case GgufValueType.Array:
                var array = (GgufArray)value;
                output.Write((uint)array.ElementType);
                output.Write((ulong)array.Values.Length);
                foreach (var element in array.Values) WriteValue(output, array.ElementType, element!);
                break;
            default:
                throw new ArgumentException($"unknown GGUF value type {type}");
        }
    }
}
