using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>Several matrices multiplied with the same activations in one call give exactly the results of
/// separate calls, whatever their types (shared or different activation conversions), the token count and the
/// thread count; misuse is rejected with a clear message.</summary>
[Collection(KernelOptionsCollection.Name)]
public class MatMulGroupTests
{
    static float[] Alone(WeightMatrix w, float[] x, int tokens, ComputePool pool)
    {
        var y = new float[tokens * w.Rows];
        MatMul.Multiply(w, x, tokens, y, pool);
        return y;
    }

    [Theory]
    [InlineData(GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K)]
    [InlineData(GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.F16)]
    [InlineData(GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.Q3_K)]
    public void GroupedCallEqualsSeparateCalls(GgmlType t0, GgmlType t1, GgmlType t2)
    {
        const int columns = 512;
        using var w0 = new TestWeights(t0, 40, columns, seed: 1);
        using var w1 = new TestWeights(t1, 8, columns, seed: 2);
        using var w2 = new TestWeights(t2, 23, columns, seed: 3);
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            foreach (int tokens in new[] { 1, 3, 7 })
            {
                var x = TestWeights.RandomActivations(tokens, columns, seed: tokens);
                var y0 = new float[tokens * 40];
                var y1 = new float[tokens * 8];
                var y2 = new float[tokens * 23];
                MatMul.Multiply(x, tokens, w0.Matrix, y0, w1.Matrix, y1, w2.Matrix, y2, pool);
                Assert.Equal(Alone(w0.Matrix, x, tokens, pool), y0);
                Assert.Equal(Alone(w1.Matrix, x, tokens, pool), y1);
                Assert.Equal(Alone(w2.Matrix, x, tokens, pool), y2);

                var z0 = new float[tokens * 40];
                var z2 = new float[tokens * 23];
                MatMul.Multiply(x, tokens, w0.Matrix, z0, w2.Matrix, z2, pool);
                Assert.Equal(y0, z0);
                Assert.Equal(y2, z2);
            }
        }
    }

    [Fact]
    public void MatricesWithDifferentColumnCountsAreRejected()
    {
        using var a = new TestWeights(GgmlType.Q4_0, 16, 64, seed: 1);
        using var b = new TestWeights(GgmlType.Q4_0, 16, 128, seed: 2);
        var e = Assert.Throws<ArgumentException>(() =>
            MatMul.Multiply(new float[128], 1, a.Matrix, new float[16], b.Matrix, new float[16]));
        Assert.Contains("columns", e.Message);
    }

    [Fact]
    public void OverlappingOutputsOrActivationsAreRejected()
    {
        using var a = new TestWeights(GgmlType.Q4_K, 16, 256, seed: 1);
        using var b = new TestWeights(GgmlType.Q4_K, 16, 256, seed: 2);
        var buffer = new float[512];
        var x = new float[256];
        var e = Assert.Throws<ArgumentException>(() =>
            MatMul.Multiply(x, 1, a.Matrix, buffer.AsSpan(0, 16), b.Matrix, buffer.AsSpan(8, 16)));
        Assert.Contains("another output", e.Message);
        e = Assert.Throws<ArgumentException>(() => MatMul.Multiply(a.Matrix, buffer.AsSpan(0, 256), 1, buffer.AsSpan(100, 16)));
        Assert.Contains("overlaps the activations", e.Message);
    }
}
