using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

[Collection(KernelOptionsCollection.Name)]
public class MatMulKernelsTests
{
    [Theory]
    [InlineData(GgmlType.Q4_0, "row tiles", "Q8_0")]
    [InlineData(GgmlType.Q8_0, "row tiles", "Q8_0")]
    [InlineData(GgmlType.Q4_K, "row tiles", "Q8_K")]
    [InlineData(GgmlType.Q6_K, "row tiles", "Q8_K")]
    [InlineData(GgmlType.Q5_1, "int8 blocks", "Q8_1")]
    [InlineData(GgmlType.Q3_K, "int8 blocks", "Q8_K")]
    [InlineData(GgmlType.F32, "read in place", "F32")]
    public void DescriptionNamesTheLayoutAndTheActivationType(GgmlType type, string layout, string activation)
    {
        string text = MatMulKernels.Describe(type);
        Assert.Contains(layout, text);
        Assert.Contains(activation, text);
    }

    [Fact]
    public void FloatTypesRunInRegistersOnTheWidestPathAndConvertRowsOnTheNarrowOnes()
    {
        using (new VectorWidthScope(128))
            Assert.Contains("rows converted to f32", MatMulKernels.Describe(GgmlType.F16));
        if (KernelOptions.EffectiveVectorWidth == 512)
            Assert.Contains("converted in registers", MatMulKernels.Describe(GgmlType.F16));
    }

    [Fact]
    public void TypesWithoutAKernelSaySo() =>
        Assert.Equal("not supported by the matrix kernels", MatMulKernels.Describe(GgmlType.Q8_K));
}
