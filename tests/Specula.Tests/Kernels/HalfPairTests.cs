using System.Runtime.Intrinsics;
using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>The F16 and BF16 kernels that read pair-order rows (<see cref="HalfPairRows"/>, 512-bit path) give the
/// row-order kernels' results bit for bit (the 256-bit path has no pair order and is the comparison), for every
/// shape of tail: rows past the groups of four and the tiles of two, tokens past the tiles of four, columns
/// with and without a last group of sixteen and scalar tails.</summary>
[Collection(KernelOptionsCollection.Name)]
public class HalfPairTests
{
    static float[] Multiply(WeightMatrix w, float[] x, int tokens, int width)
    {
        using var _ = new VectorWidthScope(width);
        var y = new float[tokens * w.Rows];
        MatMul.Multiply(w, x, tokens, y);
        return y;
    }

    [Fact]
    public unsafe void PairConversionIsExactForEveryFiniteHalf()
    {
        if (!HalfPairRows.CanPack) return; // no AVX-512: the pair order is not used on this machine
        uint* words = stackalloc uint[16];
        var keep = F16Pairs.Mask;
        for (int start = 0; start < 65536; start += 32)
        {
            for (int j = 0; j < 16; j++) words[j] = (uint)(start + j) | (uint)(start + 16 + j) << 16;
            var v = Vector512.Load((int*)words);
            var low = F16Pairs.Low(v, keep) * HalfPairRows.Rebias;
            var high = F16Pairs.High(v, keep) * HalfPairRows.Rebias;
            for (int j = 0; j < 32; j++)
            {
                var h = (ushort)(start + j);
                if ((h & 0x7C00) == 0x7C00) continue; // infinities and NaNs are never packed
                float expected = (float)BitConverter.UInt16BitsToHalf(h);
                float actual = j < 16 ? low[j] : high[j - 16];
                Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual),
                    $"half 0x{h:X4}: {expected} vs {actual}");
            }
        }
    }

    [Fact]
    public unsafe void BFloat16PairConversionIsExactForEveryValue()
    {
        if (!HalfPairRows.CanPack) return;
        uint* words = stackalloc uint[16];
        var keep = BF16Pairs.Mask;
        for (int start = 0; start < 65536; start += 32)
        {
            for (int j = 0; j < 16; j++) words[j] = (uint)(start + j) | (uint)(start + 16 + j) << 16;
            var v = Vector512.Load((int*)words);
            var low = BF16Pairs.Low(v, keep);
            var high = BF16Pairs.High(v, keep);
            for (int j = 0; j < 32; j++)
            {
                uint expected = (uint)(start + j) << 16;
                uint actual = BitConverter.SingleToUInt32Bits(j < 16 ? low[j] : high[j - 16]);
                Assert.True(expected == actual, $"bf16 0x{start + j:X4}: 0x{expected:X8} vs 0x{actual:X8}");
            }
        }
    }

    [Theory]
    [InlineData(GgmlType.F16, 1, 16)]
    [InlineData(GgmlType.F16, 3, 31)]
    [InlineData(GgmlType.F16, 5, 32)]
    [InlineData(GgmlType.F16, 18, 48)]
    [InlineData(GgmlType.F16, 37, 53)]
    [InlineData(GgmlType.F16, 17, 96)]
    [InlineData(GgmlType.F16, 6, 245)]
    [InlineData(GgmlType.F16, 35, 512)]
    [InlineData(GgmlType.BF16, 3, 31)]
    [InlineData(GgmlType.BF16, 18, 48)]
    [InlineData(GgmlType.BF16, 37, 53)]
    [InlineData(GgmlType.BF16, 35, 512)]
    public void PairOrderGivesTheRowOrderResultsForEveryTail(GgmlType type, int rows, int columns)
    {
        using var w = new TestWeights(type, rows, columns, seed: rows * 1000 + columns);
        if (HalfPairRows.CanPack) Assert.NotNull(w.Matrix.HalfPairs);
        foreach (int tokens in new[] { 1, 2, 4, 7, 9 })
        {
            var x = TestWeights.RandomActivations(tokens, columns, seed: tokens);
            var pairOrder = Multiply(w.Matrix, x, tokens, 512);
            Assert.Equal(Multiply(w.Matrix, x, tokens, 256), pairOrder);
            for (int t = 0; t < tokens; t++)
                Assert.Equal(pairOrder.AsSpan(t * rows, rows).ToArray(), Multiply(w.Matrix, x.AsSpan(t * columns, columns).ToArray(), 1, 512));
        }
    }

    /// <summary>The activations are scaled by 2^112 in the decode kernel: the largest halves (and values that
    /// round to infinity, and subnormals) still give the row-order results.</summary>
    [Fact]
    public void ExtremeActivationsGiveTheRowOrderResults()
    {
        const int rows = 9, columns = 96;
        using var w = new TestWeights(GgmlType.F16, rows, columns, seed: 2);
        float[] extremes = [65504f, -65504f, 70000f, 6e-8f, -3e-5f, 0f, -0f, 1e-3f];
        foreach (int tokens in new[] { 1, 4 })
        {
            var x = TestWeights.RandomActivations(tokens, columns, seed: 5);
            for (int i = 0; i < x.Length; i += 11) x[i] = extremes[i / 11 % extremes.Length];
            Assert.Equal(Multiply(w.Matrix, x, tokens, 256), Multiply(w.Matrix, x, tokens, 512));
            // Without the overflowing value every output is finite.
            for (int i = 0; i < x.Length; i++) if (x[i] == 70000f) x[i] = 65504f;
            var y = Multiply(w.Matrix, x, tokens, 512);
            Assert.All(y, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(Multiply(w.Matrix, x, tokens, 256), y);
        }
    }

    /// <summary>A matrix holding an infinity or a NaN (in a whole group or in the tail) is not copied into pair
    /// order and keeps the exact row-order kernels.</summary>
    /// <summary>BF16 infinities and NaNs convert exactly in pair order: such a matrix is packed all the same.</summary>
    [Fact]
    public unsafe void NonFiniteBFloat16WeightsArePackedAndExact()
    {
        const int rows = 6, columns = 75;
        using var w = new TestWeights(GgmlType.BF16, rows, columns, seed: 4);
        ((ushort*)w.Data)[1 * columns + 3] = 0x7F80; // +inf
        ((ushort*)w.Data)[3 * columns + 40] = 0xFFC1; // NaN
        if (HalfPairRows.CanPack) Assert.NotNull(w.Matrix.HalfPairs);
        foreach (int tokens in new[] { 1, 4 })
        {
            var x = TestWeights.RandomActivations(tokens, columns, seed: 1);
            var y = Multiply(w.Matrix, x, tokens, 512);
            Assert.Equal(Multiply(w.Matrix, x, tokens, 256), y);
            Assert.True(float.IsInfinity(y[1]) && float.IsNaN(y[3]) && float.IsFinite(y[2]));
        }
    }

    [Theory]
    [InlineData(0x7C00, 5)]
    [InlineData(0xFC00, 40)]
    [InlineData(0x7E01, 70)]
    public unsafe void NonFiniteWeightsKeepTheExactPath(int half, int column)
    {
        const int rows = 6, columns = 75;
        using var w = new TestWeights(GgmlType.F16, rows, columns, seed: 4);
        ((ushort*)w.Data)[3 * columns + column] = (ushort)half;
        Assert.Null(w.Matrix.HalfPairs);
        var x = TestWeights.RandomActivations(1, columns, seed: 1);
        var y = Multiply(w.Matrix, x, 1, 512);
        Assert.Equal(Multiply(w.Matrix, x, 1, 256), y);
        Assert.True(half == 0x7E01 ? float.IsNaN(y[3]) : float.IsInfinity(y[3]), $"row 3 gives {y[3]}");
        Assert.True(float.IsFinite(y[2]) && float.IsFinite(y[4]));
    }
}
