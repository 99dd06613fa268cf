using System.Runtime.InteropServices;

namespace Specula.Tensors;

/// <summary>Scalar reference dequantization of one row of any supported ggml tensor type to float32,
/// bit-identical to ggml's to_float (dequantize_row_*).</summary>
public static class Dequantize
{
    /// <summary>Whether <see cref="Row"/> handles <paramref name="type"/>.</summary>
    public static bool IsSupported(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or
        GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q8_0 or GgmlType.Q8_1 or
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K or GgmlType.Q8_K => true,
        _ => false,
    };

    /// <summary>Decodes <paramref name="dst"/>.Length elements from <paramref name="src"/>, which must be
    /// exactly the bytes of those elements (whole blocks).</summary>
    public static void Row(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (!IsSupported(type))
            throw new NotSupportedException($"dequantizing ggml type {TypeName(type)} is not supported");
        long expected = GgmlTypeInfo.Get(type).RowBytes(dst.Length);
        if (src.Length != expected)
            throw new ArgumentException($"a {type} row of {dst.Length} elements takes {expected} bytes, got {src.Length}", nameof(src));

        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case GgmlType.F16: Fp16.ToFloatRow(src, dst); break;
            case GgmlType.BF16: Bf16.ToFloatRow(src, dst); break;
            case GgmlType.Q4_0: BlockQ4_0.DequantizeRow(src, dst); break;
            case GgmlType.Q4_1: BlockQ4_1.DequantizeRow(src, dst); break;
            case GgmlType.Q5_0: BlockQ5_0.DequantizeRow(src, dst); break;
            case GgmlType.Q5_1: BlockQ5_1.DequantizeRow(src, dst); break;
            case GgmlType.Q8_0: BlockQ8_0.DequantizeRow(src, dst); break;
            case GgmlType.Q8_1: BlockQ8_1.DequantizeRow(src, dst); break;
            case GgmlType.Q2_K: BlockQ2_K.DequantizeRow(src, dst); break;
            case GgmlType.Q3_K: BlockQ3_K.DequantizeRow(src, dst); break;
            case GgmlType.Q4_K: BlockQ4_K.DequantizeRow(src, dst); break;
            case GgmlType.Q5_K: BlockQ5_K.DequantizeRow(src, dst); break;
            case GgmlType.Q6_K: BlockQ6_K.DequantizeRow(src, dst); break;
            case GgmlType.Q8_K: BlockQ8_K.DequantizeRow(src, dst); break;
        }
    }

    /// <summary>The enum name, or the numeric id for types this build does not know.</summary>
    internal static string TypeName(GgmlType type) =>
        Enum.IsDefined(type) ? type.ToString() : $"id {(uint)type}";
}
