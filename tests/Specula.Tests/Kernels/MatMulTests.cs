using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>The fast matrix kernels against the scalar reference dot products, per weight type, and the
/// invariances the engine relies on (vector width, batch shape, thread count).</summary>
[Collection(KernelOptionsCollection.Name)]
public class MatMulTests
{
    public static readonly TheoryData<GgmlType> AllTypes = new()
    {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
        GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    };

    /// <summary>Columns with an odd number of 32-blocks (and of 256-blocks for the k-quants), rows that leave
    /// tails in the groups of four and in the chunks of sixteen.</summary>
    static (int Rows, int Columns) OddShape(GgmlType type) => type switch
    {
        GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 => (37, 203),
        GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K => (37, 768),
        _ => (37, 224),
    };

    static float[] Reference(TestWeights w, float[] x, int tokens)
    {
        var m = w.Matrix;
        var activations = new QuantizedActivations();
        activations.Prepare(VecDotType.For(m.Type), tokens, m.Columns);
        for (int t = 0; t < tokens; t++)
            ActivationQuantizer.QuantizeRow(x.AsSpan(t * m.Columns, m.Columns), activations, t);
        var vecDotInfo = GgmlTypeInfo.Get(VecDotType.For(m.Type));
        var row = new byte[vecDotInfo.RowBytes(m.Columns)];
        var y = new float[tokens * m.Rows];
        for (int t = 0; t < tokens; t++)
        {
            activations.ToGgmlRow(t, row);
            for (int r = 0; r < m.Rows; r++)
                y[t * m.Rows + r] = ReferenceDot.Dot(m.Type, w.Row(r), row, m.Columns);
        }
        return y;
    }

    static float[] Fast(TestWeights w, float[] x, int tokens, ComputePool? pool = null)
    {
        var y = new float[tokens * w.Matrix.Rows];
        MatMul.Multiply(w.Matrix, x, tokens, y, pool ?? ComputePool.Shared);
        return y;
    }

    static void AssertClose(float[] expected, float[] actual, string what)
    {
        float scale = 0;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        float tolerance = 2e-5f * scale + 1e-6f;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{what}: output {i}: reference {expected[i]}, fast {actual[i]} (tolerance {tolerance})");
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void FastKernelMatchesReferenceAtEveryVectorWidth(GgmlType type)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows, columns, seed: 11 + (int)type);
        const int tokens = 5;
        var x = TestWeights.RandomActivations(tokens, columns, seed: 3);
        var expected = Reference(w, x, tokens);
        float[]? widest = null;
        foreach (int width in new[] { 512, 256, 128 })
        {
            using var _ = new VectorWidthScope(width);
            var actual = Fast(w, x, tokens);
            AssertClose(expected, actual, $"{type} at {width} bits");
            widest ??= actual;
            Assert.Equal(widest, actual);
        }
    }

    [Theory]
    [MemberData(nameof(AllTypes))]
    public void TokenResultIsIdenticalAloneAndInABatch(GgmlType type)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows, columns, seed: 5);
        const int tokens = 7;
        var x = TestWeights.RandomActivations(tokens, columns, seed: 9);
        var batch = Fast(w, x, tokens);
        for (int t = 0; t < tokens; t++)
        {
            var alone = Fast(w, x.AsSpan(t * columns, columns).ToArray(), 1);
            Assert.Equal(batch.AsSpan(t * rows, rows).ToArray(), alone);
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.F16)]
    public void ResultDoesNotDependOnTheThreadCount(GgmlType type)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows * 5, columns, seed: 21);
        const int tokens = 3;
        var x = TestWeights.RandomActivations(tokens, columns, seed: 4);
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var pool = new ComputePool(threads);
            var y = Fast(w, x, tokens, pool);
            first ??= y;
            Assert.Equal(first, y);
        }
    }

    /// <summary>A worker the OS does not run (held here) must not stall a multiplication, whether the threads
    /// convert the activations into their own copies (few tokens) or share them (many).</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0, 1)]
    [InlineData(GgmlType.Q8_0, 3)]
    [InlineData(GgmlType.Q4_K, 9)]
    [InlineData(GgmlType.Q6_K, 40)]
    public void MultiplicationFinishesWithTheSameResultWhileAWorkerIsNotRunning(GgmlType type, int tokens)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows * 5, columns, seed: 23);
        var x = TestWeights.RandomActivations(tokens, columns, seed: 6);
        using var single = new ComputePool(1);
        var expected = Fast(w, x, tokens, single);
        using var hold = new ManualResetEventSlim(false);
        using var pool = new ComputePool(2) { HoldWorkers = hold };
        for (int run = 0; run < 3; run++) Assert.Equal(expected, Fast(w, x, tokens, pool));
        hold.Set();
        Assert.Equal(expected, Fast(w, x, tokens, pool));
    }

    /// <summary>One to three tokens take the register-decoding matrix-vector kernels where the machine has them.</summary>
    [Theory]
    [MemberData(nameof(AllTypes))]
    public void FewTokenPathMatchesReference(GgmlType type)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows, columns, seed: 31 + (int)type);
        for (int tokens = 1; tokens <= 3; tokens++)
        {
            var x = TestWeights.RandomActivations(tokens, columns, seed: 17 + tokens);
            AssertClose(Reference(w, x, tokens), Fast(w, x, tokens), $"{type}, {tokens} token(s)");
        }
    }

    public static readonly TheoryData<GgmlType, byte> SaturatedCases = Saturated();

    static TheoryData<GgmlType, byte> Saturated()
    {
        var data = new TheoryData<GgmlType, byte>();
        foreach (var type in new[] { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K,
                     GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K })
        {
            data.Add(type, 0xFF);
            data.Add(type, 0x00);
        }
        return data;
    }

    /// <summary>Every quantized byte at 0xFF (largest values, scales and minimums) or 0x00 (Q4_0's −8), against
    /// activations at ±127 of one sign or alternating: the integer steps must neither saturate nor overflow.</summary>
    [Theory]
    [MemberData(nameof(SaturatedCases))]
    public unsafe void SaturatedBlocksAreExact(GgmlType type, byte fill)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows, columns, seed: 3, fill: fill);
        foreach (int tokens in new[] { 1, 5 })
        {
            foreach (int pattern in new[] { 0, 1, 2 })
            {
                var x = new float[tokens * columns];
                for (int i = 0; i < x.Length; i++)
                {
                    float sign = pattern switch { 0 => 1f, 1 => -1f, _ => i / 3 % 2 == 0 ? 1f : -1f };
                    x[i] = 3f * sign * (1 + i % 5 * 1e-3f);
                }
                var expected = Reference(w, x, tokens);
                foreach (int width in new[] { 512, 256, 128 })
                {
                    using var _ = new VectorWidthScope(width);
                    AssertClose(expected, Fast(w, x, tokens), $"{type} filled with {fill:X2}, {tokens} token(s), pattern {pattern} at {width} bits");
                }
            }
        }
    }

    /// <summary>The row-tile kernels take tokens eight (the k-quants: four) at a time, then the rest together: every
    /// grouping gives each token the result it has alone.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q5_K)]
    [InlineData(GgmlType.Q6_K)]
    public void EveryTokenGroupingGivesTheSingleTokenResult(GgmlType type)
    {
        var (rows, columns) = OddShape(type);
        using var w = new TestWeights(type, rows, columns, seed: 8);
        const int tokens = 27; // three groups of eight and a group of three
        var x = TestWeights.RandomActivations(tokens, columns, seed: 12);
        foreach (int width in new[] { 512, 256, 128 })
        {
            using var _ = new VectorWidthScope(width);
            var batch = Fast(w, x, tokens);
            for (int count = 1; count <= 9; count++)
            {
                var part = Fast(w, x.AsSpan(0, count * columns).ToArray(), count);
                Assert.Equal(batch.AsSpan(0, count * rows).ToArray(), part);
            }
            for (int t = 0; t < tokens; t += 5)
                Assert.Equal(batch.AsSpan(t * rows, rows).ToArray(), Fast(w, x.AsSpan(t * columns, columns).ToArray(), 1));
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.F16)]
    public void MatrixWithoutColumnsGivesZeros(GgmlType type)
    {
        using var w = new TestWeights(type, 20, 0, seed: 1);
        var y = new float[3 * 20];
        Array.Fill(y, float.NaN);
        MatMul.Multiply(w.Matrix, Array.Empty<float>(), 3, y);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Fact]
    public unsafe void LargeQ8_0WeightsOfMinus128AreExact()
    {
        using var w = new TestWeights(GgmlType.Q8_0, 4, 64, seed: 1);
        for (int r = 0; r < 4; r++)
            for (int b = 0; b < 2; b++)
                for (int j = 0; j < 32; j++)
                    w.Data[r * 68 + b * 34 + 2 + j] = 0x80; // -128
        var x = TestWeights.RandomActivations(2, 64, seed: 2);
        var expected = Reference(w, x, 2);
        foreach (int width in new[] { 512, 256, 128 })
        {
            using var _ = new VectorWidthScope(width);
            AssertClose(expected, Fast(w, x, 2), $"Q8_0 -128 at {width} bits");
        }
    }

    /// <summary>Row tiles of several megabytes live in 2 MiB-aligned storage with huge pages requested (on Linux):
    /// every row, the last partial tile included, still multiplies correctly.</summary>
    [Fact]
    public void MatrixOfSeveralMegabytesMatchesReference()
    {
        using var w = new TestWeights(GgmlType.Q4_0, 4100, 1024, seed: 14); // 2.4 MB of tiles
        var x = TestWeights.RandomActivations(2, 1024, seed: 6);
        AssertClose(Reference(w, x, 2), Fast(w, x, 2), "Q4_0, 4100 x 1024");
    }

    [Fact]
    public void UnsupportedTypeIsRejectedWithItsName()
    {
        using var w = new TestWeights(GgmlType.Q8_1, 2, 32, seed: 1);
        var e = Assert.Throws<NotSupportedException>(() => MatMul.Multiply(w.Matrix, new float[32], 1, new float[2]));
        Assert.Contains("Q8_1", e.Message);
    }

    [Fact]
    public void TooSmallBuffersAreRejected()
    {
        using var w = new TestWeights(GgmlType.Q4_0, 4, 64, seed: 1);
        Assert.Throws<ArgumentException>(() => MatMul.Multiply(w.Matrix, new float[64], 2, new float[8]));
        Assert.Throws<ArgumentException>(() => MatMul.Multiply(w.Matrix, new float[128], 2, new float[7]));
    }
}
