using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Specula.Tensors;

namespace Specula.Tests.Reference;

/// <summary>
/// Direct bindings to llama.cpp's own ggml (libggml-base.so shipped by LLamaSharp.Backend.Cpu) for
/// bit-exact comparisons of quantization. The library exports its reference quantizers and
/// dequantizers by name, so we bind those (and ggml_quantize_chunk, what llama-quantize calls) as
/// unmanaged function pointers; no struct layouts are involved. Test-only.
/// </summary>
public sealed unsafe class GgmlNative
{
    static readonly Lazy<GgmlNative> Shared = new(() => new GgmlNative());

    /// <summary>The process-wide instance (the library stays loaded for the test run).</summary>
    public static GgmlNative Instance => Shared.Value;

    public string LibraryPath { get; }

    readonly nint _library;
    readonly Lazy<nint> _cpuLibrary;
    readonly delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint> _quantizeChunk;
    readonly delegate* unmanaged<int, void> _quantizeInit;
    readonly delegate* unmanaged<int, byte> _requiresImatrix;
    readonly delegate* unmanaged<int, nuint> _typeSize;
    readonly delegate* unmanaged<int, long> _blockSize;
    readonly delegate* unmanaged<ushort*, float*, long, void> _fp16ToFp32Row;
    readonly delegate* unmanaged<float*, ushort*, long, void> _fp32ToFp16Row;
    readonly delegate* unmanaged<ushort*, float*, long, void> _bf16ToFp32Row;
    readonly delegate* unmanaged<float*, ushort*, long, void> _fp32ToBf16Row;
    readonly delegate* unmanaged<float*, ushort*, long, void> _fp32ToBf16RowRef;

    GgmlNative()
    {
        LibraryPath = FindLibrary();
        _library = NativeLibrary.Load(LibraryPath);
        _quantizeChunk = (delegate* unmanaged<int, float*, void*, long, long, long, float*, nuint>)Export("ggml_quantize_chunk");
        _quantizeInit = (delegate* unmanaged<int, void>)Export("ggml_quantize_init");
        _requiresImatrix = (delegate* unmanaged<int, byte>)Export("ggml_quantize_requires_imatrix");
        _typeSize = (delegate* unmanaged<int, nuint>)Export("ggml_type_size");
        _blockSize = (delegate* unmanaged<int, long>)Export("ggml_blck_size");
        _fp16ToFp32Row = (delegate* unmanaged<ushort*, float*, long, void>)Export("ggml_fp16_to_fp32_row");
        _fp32ToFp16Row = (delegate* unmanaged<float*, ushort*, long, void>)Export("ggml_fp32_to_fp16_row");
        _bf16ToFp32Row = (delegate* unmanaged<ushort*, float*, long, void>)Export("ggml_bf16_to_fp32_row");
        _fp32ToBf16Row = (delegate* unmanaged<float*, ushort*, long, void>)Export("ggml_fp32_to_bf16_row");
        _fp32ToBf16RowRef = (delegate* unmanaged<float*, ushort*, long, void>)Export("ggml_fp32_to_bf16_row_ref");
        _cpuLibrary = new Lazy<nint>(LoadCpuLibrary);
    }

    /// <summary>libggml-cpu.so from the same folder: its runtime activation quantizers are the ones
    /// llama.cpp's matmuls use (they differ from the reference quantizers in libggml-base).</summary>
    nint LoadCpuLibrary()
    {
        string path = Path.Combine(Path.GetDirectoryName(LibraryPath)!, "libggml-cpu.so");
        nint library = NativeLibrary.Load(path);
        ((delegate* unmanaged<void>)NativeLibrary.GetExport(library, "ggml_cpu_init"))();
        return library;
    }

    /// <summary>ggml-cpu's quantize_row_{type} (the activation quantizer of this CPU variant).</summary>
    public byte[] QuantizeRowCpu(GgmlType type, float[] values)
    {
        var fn = (delegate* unmanaged<float*, void*, long, void>)NativeLibrary.GetExport(_cpuLibrary.Value, $"quantize_row_{SymbolName(type)}");
        var dst = new byte[TypeSize(type) * values.Length / BlockSize(type)];
        fixed (float* src = values)
        fixed (byte* d = dst)
            fn(src, d, values.Length);
        return dst;
    }

    /// <summary>libggml-base.so from the LLamaSharp runtime folder that fits this CPU.</summary>
    static string FindLibrary()
    {
        string root = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        var variants = new List<string>();
        if (Avx512F.IsSupported) variants.Add("avx512");
        if (Avx2.IsSupported) variants.Add("avx2");
        if (Avx.IsSupported) variants.Add("avx");
        variants.Add("noavx");
        foreach (string variant in variants)
        {
            string path = Path.Combine(root, variant, "libggml-base.so");
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"libggml-base.so (LLamaSharp.Backend.Cpu, linux-x64) not found under {root}");
    }

    nint Export(string name) =>
        NativeLibrary.TryGetExport(_library, name, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"{name} is not exported by {LibraryPath}");

    public long TypeSize(GgmlType type) => (long)_typeSize((int)type);
    public long BlockSize(GgmlType type) => _blockSize((int)type);
    public bool RequiresImatrix(GgmlType type) => _requiresImatrix((int)type) != 0;

    /// <summary>ggml_quantize_chunk without an importance matrix: the bytes llama-quantize would write.
    /// The destination is zero-filled first so fields ggml leaves untouched compare as zero.</summary>
    public byte[] QuantizeChunk(GgmlType type, float[] values, int rowLength)
    {
        int rows = values.Length / rowLength;
        long rowBytes = TypeSize(type) * rowLength / BlockSize(type);
        var dst = new byte[rows * rowBytes];
        _quantizeInit((int)type);
        fixed (float* src = values)
        fixed (byte* d = dst)
        {
            nuint written = _quantizeChunk((int)type, src, d, 0, rows, rowLength, null);
            if ((long)written != dst.Length)
                throw new InvalidOperationException($"ggml_quantize_chunk({type}) wrote {written} bytes, expected {dst.Length}");
        }
        return dst;
    }

    /// <summary>quantize_row_{type}_ref called directly (Q8_1 and Q8_K are not reachable through
    /// ggml_quantize_chunk: they are activation-only types).</summary>
    public byte[] QuantizeRowRef(GgmlType type, float[] values)
    {
        var fn = (delegate* unmanaged<float*, void*, long, void>)Export($"quantize_row_{SymbolName(type)}_ref");
        var dst = new byte[TypeSize(type) * values.Length / BlockSize(type)];
        fixed (float* src = values)
        fixed (byte* d = dst)
            fn(src, d, values.Length);
        return dst;
    }

    /// <summary>ggml's to_float for <paramref name="type"/> over <paramref name="elements"/> elements.</summary>
    public float[] Dequantize(GgmlType type, byte[] data, int elements)
    {
        var dst = new float[elements];
        fixed (byte* s = data)
        fixed (float* d = dst)
        {
            switch (type)
            {
                case GgmlType.F16: _fp16ToFp32Row((ushort*)s, d, elements); break;
                case GgmlType.BF16: _bf16ToFp32Row((ushort*)s, d, elements); break;
                default:
                    var fn = (delegate* unmanaged<void*, float*, long, void>)Export($"dequantize_row_{SymbolName(type)}");
                    fn(s, d, elements);
                    break;
            }
        }
        return dst;
    }

    public ushort[] Fp32ToFp16(float[] values) => ConvertToUShort(_fp32ToFp16Row, values);
    public ushort[] Fp32ToBf16(float[] values) => ConvertToUShort(_fp32ToBf16Row, values);
    public ushort[] Fp32ToBf16Ref(float[] values) => ConvertToUShort(_fp32ToBf16RowRef, values);
    public float[] Fp16ToFp32(ushort[] values) => ConvertToFloat(_fp16ToFp32Row, values);
    public float[] Bf16ToFp32(ushort[] values) => ConvertToFloat(_bf16ToFp32Row, values);

    static ushort[] ConvertToUShort(delegate* unmanaged<float*, ushort*, long, void> fn, float[] values)
    {
        var dst = new ushort[values.Length];
        fixed (float* s = values)
        fixed (ushort* d = dst)
            fn(s, d, values.Length);
        return dst;
    }

    static float[] ConvertToFloat(delegate* unmanaged<ushort*, float*, long, void> fn, ushort[] values)
    {
        var dst = new float[values.Length];
        fixed (ushort* s = values)
        fixed (float* d = dst)
            fn(s, d, values.Length);
        return dst;
    }

    /// <summary>ggml's spelling in symbol names: q4_0, q2_K, ...</summary>
    static string SymbolName(GgmlType type)
    {
        string name = type.ToString();
        return name.EndsWith("_K", StringComparison.Ordinal) ? name[..^2].ToLowerInvariant() + "_K" : name.ToLowerInvariant();
    }
}
