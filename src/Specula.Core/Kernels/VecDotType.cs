using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>The form llama.cpp converts an activation row to before it takes the dot product with a weight
/// row (ggml-cpu's <c>vec_dot_type</c>): the 32-element symmetric types pair with Q8_0, the ones with a
/// minimum with Q8_1, the k-quants with Q8_K, the float types with themselves.</summary>
public static class VecDotType
{
    public static GgmlType For(GgmlType weightType) => weightType switch
    {
        GgmlType.F32 => GgmlType.F32,
        GgmlType.F16 => GgmlType.F16,
        GgmlType.BF16 => GgmlType.BF16,
        GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 => GgmlType.Q8_0,
        GgmlType.Q4_1 or GgmlType.Q5_1 => GgmlType.Q8_1,
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => GgmlType.Q8_K,
        _ => throw new NotSupportedException($"the matrix kernels do not support weights of type {weightType}"),
    };

    public static bool IsSupported(GgmlType weightType) => weightType is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0 or GgmlType.Q4_1 or GgmlType.Q5_1
        or GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;
}
