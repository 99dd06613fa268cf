using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>The scalar reference dot products read the block layouts the way the tensors' dequantizers
/// (bit-exact to ggml) do: each equals Σ dequantized weight · dequantized activation.</summary>
public class ReferenceDotTests
{
    [Theory]
    [MemberData(nameof(MatMulTests.AllTypes), MemberType = typeof(MatMulTests))]
    public void ReferenceDotEqualsTheDotOfDequantizedRows(GgmlType type)
    {
        int columns = type is GgmlType.Q2_K or GgmlType.Q3_K or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K ? 512 : 96;
        using var w = new TestWeights(type, rows: 3, columns, seed: 7);
        var x = TestWeights.RandomActivations(1, columns, seed: 8);
        var actType = VecDotType.For(type);
        var act = new byte[GgmlTypeInfo.Get(actType).RowBytes(columns)];
        Quantize.Row(actType, x, act);
        var xDequantized = new float[columns];
        Dequantize.Row(actType, act, xDequantized);
        var wDequantized = new float[columns];
        for (int r = 0; r < 3; r++)
        {
            Dequantize.Row(type, w.Row(r), wDequantized);
            double expected = 0, magnitude = 0;
            for (int i = 0; i < columns; i++)
            {
                expected += (double)wDequantized[i] * xDequantized[i];
                magnitude += Math.Abs((double)wDequantized[i] * xDequantized[i]);
            }
            float actual = ReferenceDot.Dot(type, w.Row(r), act, columns);
            // Q4_1/Q5_1 take the minimum's term from the activation block's s = d·Σq, which ggml stores
            // rounded to f16: allow that rounding (2^-11 relative) on each block's m·s.
            double sRounding = 0;
            if (type is GgmlType.Q4_1 or GgmlType.Q5_1)
            {
                int blockBytes = type == GgmlType.Q4_1 ? 20 : 24;
                for (int b = 0; b < columns / 32; b++)
                {
                    float m = (float)BitConverter.ToHalf(w.Row(r).Slice(b * blockBytes + 2, 2));
                    float s = (float)BitConverter.ToHalf(act.AsSpan(b * 36 + 2, 2));
                    sRounding += Math.Abs(m * s) * Math.Pow(2, -11);
                }
            }
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + sRounding + 1e-7,
                $"{type} row {r}: reference dot {actual}, dequantized dot {expected}");
        }
    }
}
