using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Reference quantization of float32 rows to ggml tensor types, byte-identical to ggml's
/// quantize_row_*_ref (what ggml_quantize_chunk and llama-quantize use without an importance matrix).
/// The 8-bit activation types (Q8_0, Q8_1, Q8_K) take a vectorized path with the same output.</summary>
public static class Quantize
{
    /// <summary>Rows at least this large (in elements, summed) are quantized in parallel by <see cref="Tensor"/>.</summary>
    const long ParallelThreshold = 1 << 16;

    /// <summary>Whether <see cref="Row"/> handles <paramref name="type"/>.</summary>
    public static bool IsSupported(GgmlType type) => Dequantize.IsSupported(type);

    /// <summary>Encodes <paramref name="src"/> (whole blocks) into <paramref name="dst"/>, which must be
    /// exactly the row's size in bytes.</summary>
    public static void Row(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!IsSupported(type))
            throw new NotSupportedException($"quantizing to ggml type {Dequantize.TypeName(type)} is not supported");
        long expected = GgmlTypeInfo.Get(type).RowBytes(src.Length);
        if (dst.Length != expected)
            throw new ArgumentException($"a {type} row of {src.Length} elements takes {expected} bytes, got a buffer of {dst.Length}", nameof(dst));

        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case GgmlType.F16: Fp16.FromFloatRow(src, dst); break;
            case GgmlType.BF16: Bf16.FromFloatRow(src, dst); break;
            case GgmlType.Q4_0: BlockQ4_0.QuantizeRow(src, dst); break;
            case GgmlType.Q4_1: BlockQ4_1.QuantizeRow(src, dst); break;
            case GgmlType.Q5_0: BlockQ5_0.QuantizeRow(src, dst); break;
            case GgmlType.Q5_1: BlockQ5_1.QuantizeRow(src, dst); break;
            case GgmlType.Q8_0: BlockQ8_0.QuantizeRow(src, dst); break;
            case GgmlType.Q8_1: BlockQ8_1.QuantizeRow(src, dst); break;
            case GgmlType.Q2_K: BlockQ2_K.QuantizeRow(src, dst); break;
            case GgmlType.Q3_K: BlockQ3_K.QuantizeRow(src, dst); break;
            case GgmlType.Q4_K: BlockQ4_K.QuantizeRow(src, dst); break;
            case GgmlType.Q5_K: BlockQ5_K.QuantizeRow(src, dst); break;
            case GgmlType.Q6_K: BlockQ6_K.QuantizeRow(src, dst); break;
            case GgmlType.Q8_K: BlockQ8_K.QuantizeRow(src, dst); break;
        }
    }

    /// <summary>Quantizes a row-major tensor of rows of <paramref name="rowLength"/> elements and returns
    /// its bytes (rows back to back, as in a GGUF file). Rows are independent, so large tensors are
    /// quantized in parallel with the same result.</summary>
    public static byte[] Tensor(GgmlType type, float[] values, int rowLength)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (!IsSupported(type))
            throw new NotSupportedException($"quantizing to ggml type {Dequantize.TypeName(type)} is not supported");
        if (rowLength <= 0)
            throw new ArgumentOutOfRangeException(nameof(rowLength), rowLength, "row length must be positive");
        if (values.Length % rowLength != 0)
            throw new ArgumentException($"{values.Length} values do not split into rows of {rowLength}", nameof(values));

        int rowBytes = checked((int)GgmlTypeInfo.Get(type).RowBytes(rowLength));
        int rows = values.Length / rowLength;
        long totalBytes = (long)rows * rowBytes;
        if (totalBytes > Array.MaxLength)
            throw new ArgumentException($"a {type} tensor of {rows} x {rowLength} takes {totalBytes} bytes, more than one array can hold", nameof(values));
        var result = new byte[totalBytes];
        if (values.Length < ParallelThreshold || rows == 1)
        {
            for (int r = 0; r < rows; r++)
                Row(type, values.AsSpan(r * rowLength, rowLength), result.AsSpan(r * rowBytes, rowBytes));
        }
        else
        {
            Parallel.For(0, rows, r =>
                Row(type, values.AsSpan(r * rowLength, rowLength), result.AsSpan(r * rowBytes, rowBytes)));
        }
        return result;
    }
}
