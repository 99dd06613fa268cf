using Specula.Tensors;
using Specula.Tests.Reference;
using Xunit;

namespace Specula.Tests.Tensors;

/// <summary>Our quantizers and dequantizers against llama.cpp's ggml, compared byte for byte and bit for bit.</summary>
public class GgmlBitExactTests
{
    static GgmlNative Ggml => GgmlNative.Instance;

    /// <summary>Weight types: ggml_quantize_chunk (no importance matrix) is the reference.</summary>
    public static TheoryData<GgmlType> WeightTypes => new()
    {
        GgmlType.F32, GgmlType.F16, GgmlType.BF16,
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
    };

    /// <summary>Activation-only types: ggml_quantize_chunk refuses them, quantize_row_*_ref is the reference.</summary>
    public static TheoryData<GgmlType> ActivationTypes => new() { GgmlType.Q8_1, GgmlType.Q8_K };

    /// <summary>Types ggml can dequantize (Q8_1 has no to_float in ggml).</summary>
    public static TheoryData<GgmlType> DequantizableTypes => new()
    {
        GgmlType.F16, GgmlType.BF16,
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
        GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q8_K,
    };

    [Theory]
    [MemberData(nameof(WeightTypes))]
    public void Quantized_bytes_equal_ggml_quantize_chunk(GgmlType type)
    {
        Assert.False(Ggml.RequiresImatrix(type));
        foreach (var data in QuantTestData.All())
        {
            byte[] expected = Ggml.QuantizeChunk(type, data.Values, QuantTestData.RowLength);
            byte[] actual = QuantizeRows(type, data.Values);
            AssertBytesEqual(type, expected, actual, data.Name);
        }
    }

    [Theory]
    [MemberData(nameof(ActivationTypes))]
    public void Activation_quantized_bytes_equal_ggml_reference(GgmlType type)
    {
        foreach (var data in QuantTestData.All())
        {
            byte[] expected = Ggml.QuantizeRowRef(type, data.Values);
            AssertBytesEqual(type, expected, QuantizeRows(type, data.Values), data.Name);
        }
    }

    [Theory]
    [MemberData(nameof(ActivationTypes))]
    [InlineData(GgmlType.Q8_0)]
    public void Scalar_activation_quantizer_equals_ggml_reference(GgmlType type)
    {
        foreach (var data in QuantTestData.All())
        {
            byte[] expected = Ggml.QuantizeRowRef(type, data.Values);
            var actual = new byte[expected.Length];
            switch (type)
            {
                case GgmlType.Q8_0: BlockQ8_0.QuantizeRowScalar(data.Values, actual); break;
                case GgmlType.Q8_1: BlockQ8_1.QuantizeRowScalar(data.Values, actual); break;
                case GgmlType.Q8_K: BlockQ8_K.QuantizeRowScalar(data.Values, actual); break;
            }
            AssertBytesEqual(type, expected, actual, data.Name + " (scalar)");
        }
    }

    /// <summary>The runtime activation quantizer is not the reference one: on half-way ties they disagree.
    /// (Guards the test above against comparing two copies of the same function.)</summary>
    [Fact]
    public void Llama_cpp_cpu_activation_quantizer_differs_from_the_reference_on_ties()
    {
        var ties = QuantTestData.All().Single(d => d.Name == "half-way-ties/max127");
        Assert.NotEqual(Ggml.QuantizeRowRef(GgmlType.Q8_0, ties.Values), Ggml.QuantizeRowCpu(GgmlType.Q8_0, ties.Values));
    }

    static bool IsFinite(float[] values)
    {
        foreach (float v in values) if (!float.IsFinite(v)) return false;
        return true;
    }

    [Theory]
    [MemberData(nameof(DequantizableTypes))]
    public void Dequantized_values_equal_ggml_to_float_on_quantized_data(GgmlType type)
    {
        foreach (var data in QuantTestData.All())
        {
            byte[] bytes = type is GgmlType.Q8_K ? Ggml.QuantizeRowRef(type, data.Values) : Ggml.QuantizeChunk(type, data.Values, QuantTestData.RowLength);
            float[] expected = Ggml.Dequantize(type, bytes, data.Values.Length);
            AssertFloatBitsEqual(expected, DequantizeRows(type, bytes, data.Values.Length), $"{type} {data.Name}");
        }
    }

    /// <summary>Random bytes reach every bit pattern of quants and scales (including NaN and infinite
    /// FP16 scales), not just the ones a quantizer writes.</summary>
    [Theory]
    [MemberData(nameof(DequantizableTypes))]
    public void Dequantized_values_equal_ggml_to_float_on_random_bytes(GgmlType type)
    {
        var info = GgmlTypeInfo.Get(type);
        const int elements = 4096;
        var random = new Random(1234 + (int)type);
        var bytes = new byte[info.RowBytes(elements)];
        random.NextBytes(bytes);
        float[] expected = Ggml.Dequantize(type, bytes, elements);
        var actual = new float[elements];
        Dequantize.Row(type, bytes, actual);
        AssertFloatBitsEqual(expected, actual, $"{type} random bytes");
    }

    /// <summary>ggml has no Q8_1 dequantizer; Q8_1 is Q8_0 plus a sum, so its values must equal ggml's
    /// Q8_0 dequantization of the same scale and quants.</summary>
    [Fact]
    public void Q8_1_dequantizes_like_ggml_q8_0_of_the_same_scale_and_quants()
    {
        const int blocks = 256;
        var random = new Random(99);
        var q81 = new byte[blocks * BlockQ8_1.Bytes];
        random.NextBytes(q81);
        var q80 = new byte[blocks * BlockQ8_0.Bytes];
        for (int b = 0; b < blocks; b++)
        {
            q81.AsSpan(b * 36, 2).CopyTo(q80.AsSpan(b * 34, 2));       // d
            q81.AsSpan(b * 36 + 4, 32).CopyTo(q80.AsSpan(b * 34 + 2, 32)); // qs (skipping s)
        }
        float[] expected = Ggml.Dequantize(GgmlType.Q8_0, q80, blocks * 32);
        var actual = new float[blocks * 32];
        Dequantize.Row(GgmlType.Q8_1, q81, actual);
        AssertFloatBitsEqual(expected, actual, "Q8_1 vs ggml Q8_0");
    }

    [Fact]
    public void Fp16_to_float_equals_ggml_for_all_65536_values()
    {
        var halves = new ushort[65536];
        for (int i = 0; i < halves.Length; i++) halves[i] = (ushort)i;
        float[] expected = Ggml.Fp16ToFp32(halves);
        var bytes = new byte[halves.Length * 2];
        Buffer.BlockCopy(halves, 0, bytes, 0, bytes.Length);
        var actual = new float[halves.Length];
        Dequantize.Row(GgmlType.F16, bytes, actual);
        AssertFloatBitsEqual(expected, actual, "fp16 -> fp32");
    }

    [Fact]
    public void Bf16_to_float_equals_ggml_for_all_65536_values()
    {
        var values = new ushort[65536];
        for (int i = 0; i < values.Length; i++) values[i] = (ushort)i;
        float[] expected = Ggml.Bf16ToFp32(values);
        var bytes = new byte[values.Length * 2];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var actual = new float[values.Length];
        Dequantize.Row(GgmlType.BF16, bytes, actual);
        AssertFloatBitsEqual(expected, actual, "bf16 -> fp32");
    }

    [Fact]
    public void Float_to_fp16_and_bf16_equal_ggml_on_rounding_boundaries_and_random_bit_patterns()
    {
        float[] inputs = ConversionInputs();
        ushort[] expectedHalf = Ggml.Fp32ToFp16(inputs);
        ushort[] expectedBf16 = Ggml.Fp32ToBf16Ref(inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (Fp16.BitsFromFloat(inputs[i]) != expectedHalf[i])
                Assert.Fail($"fp16 of 0x{BitConverter.SingleToUInt32Bits(inputs[i]):X8}: ggml 0x{expectedHalf[i]:X4}, ours 0x{Fp16.BitsFromFloat(inputs[i]):X4}");
            if (Bf16.FromFloat(inputs[i]) != expectedBf16[i])
                Assert.Fail($"bf16 of 0x{BitConverter.SingleToUInt32Bits(inputs[i]):X8}: ggml 0x{expectedBf16[i]:X4}, ours 0x{Bf16.FromFloat(inputs[i]):X4}");
        }
    }

    /// <summary>ggml's (possibly vectorized) ggml_fp32_to_bf16_row agrees with its reference form, which we implement.</summary>
    [Fact]
    public void Ggml_bf16_row_conversion_equals_its_reference_form()
    {
        float[] inputs = ConversionInputs();
        Assert.Equal(Ggml.Fp32ToBf16Ref(inputs), Ggml.Fp32ToBf16(inputs));
    }

    [Fact]
    public void Block_structs_have_ggml_sizes()
    {
        AssertBlock<BlockQ4_0>(GgmlType.Q4_0, BlockQ4_0.Elements, BlockQ4_0.Bytes);
        AssertBlock<BlockQ4_1>(GgmlType.Q4_1, BlockQ4_1.Elements, BlockQ4_1.Bytes);
        AssertBlock<BlockQ5_0>(GgmlType.Q5_0, BlockQ5_0.Elements, BlockQ5_0.Bytes);
        AssertBlock<BlockQ5_1>(GgmlType.Q5_1, BlockQ5_1.Elements, BlockQ5_1.Bytes);
        AssertBlock<BlockQ8_0>(GgmlType.Q8_0, BlockQ8_0.Elements, BlockQ8_0.Bytes);
        AssertBlock<BlockQ8_1>(GgmlType.Q8_1, BlockQ8_1.Elements, BlockQ8_1.Bytes);
        AssertBlock<BlockQ2_K>(GgmlType.Q2_K, BlockQ2_K.Elements, BlockQ2_K.Bytes);
        AssertBlock<BlockQ3_K>(GgmlType.Q3_K, BlockQ3_K.Elements, BlockQ3_K.Bytes);
        AssertBlock<BlockQ4_K>(GgmlType.Q4_K, BlockQ4_K.Elements, BlockQ4_K.Bytes);
        AssertBlock<BlockQ5_K>(GgmlType.Q5_K, BlockQ5_K.Elements, BlockQ5_K.Bytes);
        AssertBlock<BlockQ6_K>(GgmlType.Q6_K, BlockQ6_K.Elements, BlockQ6_K.Bytes);
        AssertBlock<BlockQ8_K>(GgmlType.Q8_K, BlockQ8_K.Elements, BlockQ8_K.Bytes);
    }

    /// <summary>A tensor large enough to take the parallel path still matches ggml byte for byte.</summary>
    [Theory]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q8_0)]
    public void Whole_tensor_quantization_equals_ggml_quantize_chunk(GgmlType type)
    {
        const int rowLength = 1024, rows = 96;
        var random = new Random(5);
        var values = new float[rows * rowLength];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() - 0.5) * (1 + i % 7);
        AssertBytesEqual(type, Ggml.QuantizeChunk(type, values, rowLength), Quantize.Tensor(type, values, rowLength), "tensor");
    }

    /// <summary>Many blocks of randomly chosen distribution, magnitude (1e-8 .. 1e8) and sparsity, so the
    /// K-quant scale searches meet far more cases than the named datasets.</summary>
    [Theory]
    [MemberData(nameof(WeightTypes))]
    [MemberData(nameof(ActivationTypes))]
    public void Quantized_bytes_equal_ggml_on_randomized_blocks(GgmlType type)
    {
        const int rowLength = 1024, rows = 32;
        var random = new Random(2024 + (int)type);
        var values = new float[rows * rowLength];
        for (int start = 0; start < values.Length; start += 32)
        {
            float scale = MathF.Pow(10, (float)(random.NextDouble() * 16 - 8));
            int kind = random.Next(5);
            double zeroChance = random.Next(3) == 0 ? random.NextDouble() : 0;
            for (int i = start; i < start + 32; i++)
            {
                double u = random.NextDouble();
                float v = kind switch
                {
                    0 => (float)(Math.Sqrt(-2 * Math.Log(1 - u)) * Math.Cos(2 * Math.PI * random.NextDouble())),
                    1 => (float)(u * 2 - 1),
                    2 => (float)(Math.Log(1 - u) * (random.Next(2) * 2 - 1)),  // Laplace: heavy tails
                    3 => (float)(u + 0.1),                                       // one-signed with offset
                    _ => random.Next(-15, 16) / 4f,                              // coarse grid
                };
                values[i] = random.NextDouble() < zeroChance ? 0 : v * scale;
            }
        }
        byte[] expected = type is GgmlType.Q8_1 or GgmlType.Q8_K ? Ggml.QuantizeRowRef(type, values) : Ggml.QuantizeChunk(type, values, rowLength);
        AssertBytesEqual(type, expected, Quantize.Tensor(type, values, rowLength), "randomized blocks");
    }

    static void AssertBlock<T>(GgmlType type, int elements, int bytes) where T : unmanaged
    {
        Assert.Equal(bytes, System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        Assert.Equal(Ggml.TypeSize(type), bytes);
        Assert.Equal(Ggml.BlockSize(type), elements);
        Assert.Equal(GgmlTypeInfo.Get(type), new GgmlTypeInfo(type, elements, bytes));
    }

    static byte[] QuantizeRows(GgmlType type, float[] values)
    {
        int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(QuantTestData.RowLength);
        int rows = values.Length / QuantTestData.RowLength;
        var result = new byte[rows * rowBytes];
        for (int r = 0; r < rows; r++)
            Quantize.Row(type, values.AsSpan(r * QuantTestData.RowLength, QuantTestData.RowLength), result.AsSpan(r * rowBytes, rowBytes));
        return result;
    }

    static float[] DequantizeRows(GgmlType type, byte[] bytes, int elements)
    {
        int rowBytes = (int)GgmlTypeInfo.Get(type).RowBytes(QuantTestData.RowLength);
        var result = new float[elements];
        for (int r = 0; r < elements / QuantTestData.RowLength; r++)
            Dequantize.Row(type, bytes.AsSpan(r * rowBytes, rowBytes), result.AsSpan(r * QuantTestData.RowLength, QuantTestData.RowLength));
        return result;
    }

    static void AssertBytesEqual(GgmlType type, byte[] expected, byte[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int blockBytes = GgmlTypeInfo.Get(type).BytesPerBlock;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                int block = i / blockBytes;
                string ggmlBlock = Convert.ToHexString(expected, block * blockBytes, blockBytes);
                string ourBlock = Convert.ToHexString(actual, block * blockBytes, blockBytes);
                Assert.Fail($"{type} {what}: byte {i} (block {block}, offset {i % blockBytes}) differs: ggml {expected[i]:X2}, ours {actual[i]:X2}\n ggml {ggmlBlock}\n ours {ourBlock}");
            }
        }
    }

    static void AssertFloatBitsEqual(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = BitConverter.SingleToUInt32Bits(expected[i]), a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a)
                Assert.Fail($"{what}: element {i} differs: ggml {expected[i]:R} (0x{e:X8}), ours {actual[i]:R} (0x{a:X8})");
        }
    }

    /// <summary>Every float next to an FP16 or BF16 rounding boundary (each 16-bit pattern's exact value,
    /// the half-way points and their neighbours), special values, plus random bit patterns.</summary>
    static float[] ConversionInputs()
    {
        var inputs = new List<float>();
        for (uint top = 0; top < 65536; top++)
        {
            uint bits = top << 16;
            // BF16 boundaries: exact, one below/above the half-way point 0x8000, and the half-way point itself.
            foreach (uint low in new uint[] { 0, 0x7FFF, 0x8000, 0x8001, 0xFFFF })
                inputs.Add(BitConverter.UInt32BitsToSingle(bits | low));
            // FP16 boundaries: the exact value of half `top` and the midpoint to the next half (+-1 ulp).
            float h = (float)BitConverter.UInt16BitsToHalf((ushort)top);
            float next = (float)BitConverter.UInt16BitsToHalf((ushort)(top + 1));
            if (float.IsFinite(h) && float.IsFinite(next) && top != 0x7BFF && top != 0xFBFF && top != 0x7FFF)
            {
                float mid = (h + next) / 2;
                inputs.Add(h);
                inputs.Add(mid);
                inputs.Add(MathF.BitDecrement(mid));
                inputs.Add(MathF.BitIncrement(mid));
            }
        }
        inputs.AddRange(new[] { 65504f, 65519.996f, 65520f, 65536f, -65520f, 5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN, BitConverter.UInt32BitsToSingle(0x7F800001),
            BitConverter.UInt32BitsToSingle(0xFFBFFFFF), BitConverter.UInt32BitsToSingle(0x7FFFFFFF), 1e-45f, -0f });
        var random = new Random(42);
        for (int i = 0; i < 200_000; i++) inputs.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
        return inputs.ToArray();
    }
}
