using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Tensors;

/// <summary>Bad input to Quantize/Dequantize gets a clear exception naming what is wrong.</summary>
public class QuantizeApiTests
{
    [Theory]
    [InlineData(GgmlType.IQ2_XXS)]
    [InlineData(GgmlType.IQ4_NL)]
    [InlineData(GgmlType.TQ1_0)]
    [InlineData(GgmlType.MXFP4)]
    [InlineData(GgmlType.I8)]
    [InlineData(GgmlType.F64)]
    public void Unsupported_types_throw_NotSupportedException_naming_the_type(GgmlType type)
    {
        var info = GgmlTypeInfo.Get(type);
        var values = new float[info.BlockSize * 2];
        var bytes = new byte[info.BytesPerBlock * 2];

        var quantize = Assert.Throws<NotSupportedException>(() => Quantize.Row(type, values, bytes));
        Assert.Contains(type.ToString(), quantize.Message);
        var dequantize = Assert.Throws<NotSupportedException>(() => Dequantize.Row(type, bytes, values));
        Assert.Contains(type.ToString(), dequantize.Message);
        var tensor = Assert.Throws<NotSupportedException>(() => Quantize.Tensor(type, values, values.Length));
        Assert.Contains(type.ToString(), tensor.Message);
        Assert.False(Quantize.IsSupported(type));
    }

    [Fact]
    public void Unknown_type_id_is_reported_by_number()
    {
        var error = Assert.Throws<NotSupportedException>(() => Dequantize.Row((GgmlType)77, new byte[4], new float[1]));
        Assert.Contains("77", error.Message);
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, 64, 35)]
    [InlineData(GgmlType.Q6_K, 256, 211)]
    [InlineData(GgmlType.F16, 3, 4)]
    public void Dequantize_rejects_a_source_of_the_wrong_size(GgmlType type, int elements, int bytes)
    {
        var error = Assert.Throws<ArgumentException>(() => Dequantize.Row(type, new byte[bytes], new float[elements]));
        Assert.Contains(type.ToString(), error.Message);
    }

    [Theory]
    [InlineData(GgmlType.Q8_0, 40)]
    [InlineData(GgmlType.Q4_K, 128)]
    public void Rows_must_hold_whole_blocks(GgmlType type, int elements)
    {
        var error = Assert.Throws<ArgumentException>(() => Quantize.Row(type, new float[elements], new byte[1000]));
        Assert.Contains("multiple", error.Message);
    }

    [Fact]
    public void Quantize_rejects_a_destination_of_the_wrong_size()
    {
        var error = Assert.Throws<ArgumentException>(() => Quantize.Row(GgmlType.Q8_K, new float[256], new byte[291]));
        Assert.Contains("292", error.Message);
    }

    [Fact]
    public void Tensor_rejects_values_that_do_not_split_into_rows()
    {
        Assert.Throws<ArgumentException>(() => Quantize.Tensor(GgmlType.Q8_0, new float[96], 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => Quantize.Tensor(GgmlType.Q8_0, new float[64], 0));
        Assert.Throws<ArgumentNullException>(() => Quantize.Tensor(GgmlType.Q8_0, null!, 32));
    }

    [Fact]
    public void Tensor_rows_are_laid_out_back_to_back_like_individual_rows()
    {
        var random = new Random(3);
        var values = new float[3 * 64];
        for (int i = 0; i < values.Length; i++) values[i] = (float)random.NextDouble() - 0.5f;
        byte[] tensor = Quantize.Tensor(GgmlType.Q5_1, values, 64);
        Assert.Equal(3 * 2 * BlockQ5_1.Bytes, tensor.Length);
        var row = new byte[2 * BlockQ5_1.Bytes];
        for (int r = 0; r < 3; r++)
        {
            Quantize.Row(GgmlType.Q5_1, values.AsSpan(r * 64, 64), row);
            Assert.Equal(row, tensor.AsSpan(r * row.Length, row.Length).ToArray());
        }
    }

    /// <summary>Dequantizing what we quantized stays within the format's resolution (a sanity check on
    /// the meaning of the bytes, independent of ggml): at most half a quantization step per value for
    /// the 8-bit types.</summary>
    [Theory]
    [InlineData(GgmlType.Q8_0, 32)]
    [InlineData(GgmlType.Q8_1, 32)]
    [InlineData(GgmlType.Q8_K, 256)]
    public void Eight_bit_round_trip_error_is_at_most_half_a_step(GgmlType type, int blockSize)
    {
        var random = new Random(8);
        var values = new float[1024];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        var bytes = new byte[GgmlTypeInfo.Get(type).RowBytes(values.Length)];
        Quantize.Row(type, values, bytes);
        var back = new float[values.Length];
        Dequantize.Row(type, bytes, back);
        for (int b = 0; b < values.Length / blockSize; b++)
        {
            float amax = 0;
            for (int i = 0; i < blockSize; i++) amax = Math.Max(amax, Math.Abs(values[b * blockSize + i]));
            float step = amax / 127;
            for (int i = 0; i < blockSize; i++)
                Assert.InRange(Math.Abs(back[b * blockSize + i] - values[b * blockSize + i]), 0, step * 0.5f + amax * 1e-3f);
        }
    }
}
