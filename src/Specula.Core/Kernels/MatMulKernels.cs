using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>Which matrix kernel runs a weight type on this machine, in words (for <c>specula inspect</c>), taken
/// from the same tests <see cref="MatMul"/> dispatches on.</summary>
public static class MatMulKernels
{
    public static string Describe(GgmlType weightType)
    {
        if (!VecDotType.IsSupported(weightType)) return "not supported by the matrix kernels";
        var activation = VecDotType.For(weightType);
        bool isFloat = weightType is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;
        string arithmetic = isFloat
            ? $"f32 fused multiply-add with {activation} activations"
            : $"int8 dot products with activations quantized to {activation}";
        if (RowTiles.Supports(weightType))
            return $"row tiles (16 rows repacked at load, originals released), {arithmetic}";
        if (HalfPairRows.Supports(weightType) && KernelOptions.Use512 && HalfPairRows.CanPack)
            return weightType == GgmlType.F16
                ? $"repacked at load into pair order by groups of four rows (unless a weight is inf/NaN), converted in registers, {arithmetic}"
                : $"repacked at load into pair order by groups of four rows, converted in registers, {arithmetic}";
        if (KernelOptions.Use512 && MatMulOperation.HasFusedKernel(weightType))
            return $"read in place and converted in registers, {arithmetic}";
        if (weightType == GgmlType.F32) return $"read in place, {arithmetic}";
        return isFloat
            ? $"rows converted to f32 in groups of four, {arithmetic}"
            : $"rows unpacked to int8 blocks in groups of four (slower than the row-tiled types), {arithmetic}";
    }
}
