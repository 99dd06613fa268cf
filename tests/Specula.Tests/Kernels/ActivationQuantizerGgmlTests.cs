using Specula.Kernels;
using Specula.Tensors;
using Specula.Tests.Reference;
using Specula.Tests.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>llama.cpp's CPU backend quantizes activations with its own x86 routine, not the reference
/// quantizer; the product's <see cref="ActivationQuantizer"/> must reproduce its bytes at every vector width
/// so our integer dot products see the same quants, on every finite row (tiny and subnormal magnitudes, where
/// 127 / max overflows, included).</summary>
[Collection(KernelOptionsCollection.Name)]
public class ActivationQuantizerGgmlTests
{
    [Theory]
    [InlineData(GgmlType.Q8_0, 512)]
    [InlineData(GgmlType.Q8_0, 256)]
    [InlineData(GgmlType.Q8_0, 128)]
    [InlineData(GgmlType.Q8_1, 512)]
    [InlineData(GgmlType.Q8_1, 128)]
    [InlineData(GgmlType.Q8_K, 512)]
    [InlineData(GgmlType.Q8_K, 128)]
    public void Activation_quantizer_equals_llama_cpp_cpu_backend(GgmlType type, int vectorWidth)
    {
        using var width = new VectorWidthScope(vectorWidth);
        using var activations = new QuantizedActivations();
        foreach (var data in QuantTestData.All())
        {
            if (!Array.TrueForAll(data.Values, float.IsFinite)) continue;
            byte[] expected = GgmlNative.Instance.QuantizeRowCpu(type, data.Values);
            activations.Prepare(type, 1, data.Values.Length);
            ActivationQuantizer.QuantizeRow(data.Values, activations, 0);
            var actual = new byte[expected.Length];
            activations.ToGgmlRow(0, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{type} at {vectorWidth} bits differs from ggml on '{data.Name}'");
        }
    }
}
