namespace Specula.Tensors;

/// <summary>Block geometry of each <see cref="GgmlType"/>: a row of a tensor is stored as whole blocks of
/// <see cref="BlockSize"/> elements taking <see cref="BytesPerBlock"/> bytes each.</summary>
public readonly record struct GgmlTypeInfo(GgmlType Type, int BlockSize, int BytesPerBlock)
{
    public static bool TryGet(GgmlType type, out GgmlTypeInfo info)
    {
        (int block, int bytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.BF16 => (1, 2),
            GgmlType.F64 => (1, 8),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 => (1, 8),
            GgmlType.Q4_0 => (32, 18),
            GgmlType.Q4_1 => (32, 20),
            GgmlType.Q5_0 => (32, 22),
            GgmlType.Q5_1 => (32, 24),
            GgmlType.Q8_0 => (32, 34),
            GgmlType.Q8_1 => (32, 36),
            GgmlType.Q2_K => (256, 84),
            GgmlType.Q3_K => (256, 110),
            GgmlType.Q4_K => (256, 144),
            GgmlType.Q5_K => (256, 176),
            GgmlType.Q6_K => (256, 210),
            GgmlType.Q8_K => (256, 292),
            GgmlType.IQ2_XXS => (256, 66),
            GgmlType.IQ2_XS => (256, 74),
            GgmlType.IQ3_XXS => (256, 98),
            GgmlType.IQ1_S => (256, 50),
            GgmlType.IQ4_NL => (32, 18),
            GgmlType.IQ3_S => (256, 110),
            GgmlType.IQ2_S => (256, 82),
            GgmlType.IQ4_XS => (256, 136),
            GgmlType.IQ1_M => (256, 56),
            GgmlType.TQ1_0 => (256, 54),
            GgmlType.TQ2_0 => (256, 66),
            GgmlType.MXFP4 => (32, 17),
            _ => (0, 0),
        };
        info = new GgmlTypeInfo(type, block, bytes);
        return block != 0;
    }

    public static GgmlTypeInfo Get(GgmlType type) =>
        TryGet(type, out var info) ? info : throw new NotSupportedException($"unknown ggml tensor type id {(uint)type}");

    /// <summary>Bytes taken by one row of <paramref name="elements"/> elements (a whole number of blocks).</summary>
    public long RowBytes(long elements)
    {
        if (elements % BlockSize != 0)
            throw new ArgumentException($"{Type} rows must hold a multiple of {BlockSize} elements, got {elements}");
        return elements / BlockSize * BytesPerBlock;
    }
}
