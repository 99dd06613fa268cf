using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>The activation conversion against the tensors' ggml quantizers, and the x86 rounding rule
/// llama.cpp's CPU backend uses for Q8_0/Q8_1 (half to even, multiplier 127/amax).</summary>
public class ActivationQuantizerTests
{
    static byte[] Mine(GgmlType type, float[] x)
    {
        using var q = new QuantizedActivations();
        q.Prepare(type, 1, x.Length);
        ActivationQuantizer.QuantizeRow(x, q, 0);
        var bytes = new byte[GgmlTypeInfo.Get(type).RowBytes(x.Length)];
        q.ToGgmlRow(0, bytes);
        return bytes;
    }

    static byte[] Tensors(GgmlType type, float[] x)
    {
        var bytes = new byte[GgmlTypeInfo.Get(type).RowBytes(x.Length)];
        Quantize.Row(type, x, bytes);
        return bytes;
    }

    [Theory]
    [InlineData(GgmlType.Q8_K)]
    [InlineData(GgmlType.F16)]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.F32)]
    public void ConversionIsByteIdenticalToGgml(GgmlType type)
    {
        var x = TestWeights.RandomActivations(1, 1024, seed: 17);
        x[5] = 1e-6f;      // f16 subnormal
        x[6] = -7e-8f;     // f16 subnormal, rounds to the smallest
        x[7] = 70000f;     // beyond f16's range
        x[300] = 0;
        Assert.Equal(Tensors(type, x), Mine(type, x));
    }

    /// <summary>The vector rounding to f16 and bf16 precision against the scalar conversions, for float bit
    /// patterns spread over the whole range (every exponent, both signs) and the f16 boundaries: subnormals,
    /// ties, the smallest normal, the largest finite, overflow, infinities and NaNs among them.</summary>
    [Fact]
    public unsafe void F16AndBF16RoundingMatchesTheScalarConversionsOverTheWholeRange()
    {
        var values = new List<float>();
        for (long bits = 0; bits <= uint.MaxValue; bits += 65521) values.Add(BitConverter.UInt32BitsToSingle((uint)bits));
        float[] edges = [6.103515625e-05f, 6.1e-05f, 5.96e-08f, 2.98023224e-08f, 8.940697e-08f, 65504f, 65519.99f, 65520f,
            float.MaxValue, float.Epsilon, float.PositiveInfinity, float.NaN, 0f, -0f, 1.00048828125f, 1.000244140625f];
        foreach (var e in edges) { values.Add(e); values.Add(-e); }
        for (int i = 0; i < 4096; i++) values.Add(BitConverter.UInt32BitsToSingle(0x33000000u + (uint)i * 4093)); // f16 subnormal range
        var x = values.ToArray();
        using var q = new QuantizedActivations();
        foreach (var type in new[] { GgmlType.F16, GgmlType.BF16 })
        {
            q.Prepare(type, 1, x.Length);
            ActivationQuantizer.QuantizeRow(x, q, 0);
            float* y = q.FloatRow(0);
            for (int i = 0; i < x.Length; i++)
            {
                float expected = type == GgmlType.F16 ? (float)(Half)x[i] : ActivationQuantizer.RoundToBFloat16(x[i]);
                if (float.IsNaN(expected)) Assert.True(float.IsNaN(y[i]), $"{type}: NaN input 0x{BitConverter.SingleToUInt32Bits(x[i]):X8}");
                else Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(y[i]),
                    $"{type}: 0x{BitConverter.SingleToUInt32Bits(x[i]):X8} ({x[i]}) gives {y[i]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Q8_KPicksTheFirstValueOfLargestMagnitudeForItsSign()
    {
        var x = new float[256];
        x[3] = 2f;
        x[9] = -2f;
        x[10] = 1f;
        var bytes = Mine(GgmlType.Q8_K, x);
        Assert.Equal(Tensors(GgmlType.Q8_K, x), bytes);
        Assert.Equal(-127, (sbyte)bytes[4 + 3]);   // scale -127/max with max = +2
        Assert.Equal(127, (sbyte)bytes[4 + 9]);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q8_1)]
    public void Q8MatchesGgmlScalesAndDiffersOnlyByTheRoundingOfTies(GgmlType type)
    {
        var x = TestWeights.RandomActivations(1, 4096, seed: 23);
        var mine = Mine(type, x);
        var reference = Tensors(type, x);
        int blockBytes = type == GgmlType.Q8_0 ? 34 : 36, headerBytes = blockBytes - 32;
        int differing = 0;
        for (int b = 0; b < x.Length / 32; b++)
        {
            Assert.Equal(reference.AsSpan(b * blockBytes, 2).ToArray(), mine.AsSpan(b * blockBytes, 2).ToArray());
            for (int j = 0; j < 32; j++)
            {
                int a = (sbyte)mine[b * blockBytes + headerBytes + j], r = (sbyte)reference[b * blockBytes + headerBytes + j];
                Assert.InRange(a - r, -1, 1);
                if (a != r) differing++;
            }
        }
        Assert.True(differing <= x.Length / 200, $"{differing} of {x.Length} quants differ from the scalar reference");
    }

    [Fact]
    public void Q8_0RoundsHalfwayValuesToEvenAsGgmlCpuOnX86()
    {
        // amax = 127 gives the multiplier 1, so 2.5 and -3.5 are exact ties.
        var x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = -3.5f;
        x[3] = 0.5f;
        var bytes = Mine(GgmlType.Q8_0, x);
        Assert.Equal(127, (sbyte)bytes[2]);
        Assert.Equal(2, (sbyte)bytes[3]);
        Assert.Equal(-4, (sbyte)bytes[4]);
        Assert.Equal(0, (sbyte)bytes[5]);
        Assert.Equal((ushort)BitConverter.HalfToUInt16Bits((Half)1f), BitConverter.ToUInt16(bytes, 0));
    }
}
