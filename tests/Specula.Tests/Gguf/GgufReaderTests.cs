using System.Buffers.Binary;
using Specula.Gguf;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Gguf;

public class GgufReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("specula-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string Write(GgufWriter writer, string name = "model.gguf")
    {
        string path = Path.Combine(_dir, name);
        writer.WriteTo(path);
        return path;
    }

    static GgufWriter SampleWriter()
    {
        var w = new GgufWriter()
            .Set("general.architecture", "llama")
            .Set("general.name", "tiny ünïcode")
            .Set("llama.block_count", 2u)
            .Set("llama.rope.freq_base", 10000f)
            .Set("some.int64", -5L)
            .Set("some.uint64", 1UL << 40)
            .Set("some.double", 2.5)
            .Set("some.bool", true)
            .Set("tokenizer.ggml.tokens", new[] { "<unk>", "<s>", "héllo" })
            .Set("tokenizer.ggml.scores", new[] { 0f, -1f, -2.5f })
            .Set("tokenizer.ggml.token_type", new[] { 2, 3, 1 })
            .Set("nested", new GgufArray(GgufValueType.Array, new[]
            {
                new GgufArray(GgufValueType.UInt8, new byte[] { 1, 2 }),
                new GgufArray(GgufValueType.String, new[] { "a" }),
            }))
            .SetValue("some.int16", GgufValueType.Int16, (short)-7)
            .SetValue("some.uint8", GgufValueType.UInt8, (byte)200);
        w.AddTensor("a", new long[] { 3, 2 }, new float[] { 1, 2, 3, 4, 5, 6 });
        w.AddTensor("b", GgmlType.Q8_0, new long[] { 32 }, new byte[34]);
        return w;
    }

    [Fact]
    public void WriterOutputReadsBackWithEveryValueType()
    {
        using var r = GgufReader.Open(Write(SampleWriter()));
        Assert.Equal(3u, r.Version);
        Assert.Equal("llama", r.GetString("general.architecture"));
        Assert.Equal("tiny ünïcode", r.GetString("general.name"));
        Assert.Equal(2L, r.GetInteger("llama.block_count"));
        Assert.Equal(10000.0, r.GetFloat("llama.rope.freq_base"));
        Assert.Equal(-5L, r.GetInteger("some.int64"));
        Assert.Equal(1L << 40, r.GetInteger("some.uint64"));
        Assert.Equal(2.5, r.GetFloat("some.double"));
        Assert.True(r.GetBool("some.bool"));
        Assert.Equal(-7L, r.GetInteger("some.int16"));
        Assert.Equal(200L, r.GetInteger("some.uint8"));
        Assert.Equal(new[] { "<unk>", "<s>", "héllo" }, r.GetStringArray("tokenizer.ggml.tokens"));
        Assert.Equal(new[] { 0f, -1f, -2.5f }, r.GetFloatArray("tokenizer.ggml.scores"));
        Assert.Equal(new[] { 2, 3, 1 }, r.GetInt32Array("tokenizer.ggml.token_type"));
        var nested = r.GetArray("nested")!;
        Assert.Equal(GgufValueType.Array, nested.ElementType);
        Assert.Equal(new byte[] { 1, 2 }, (byte[])((GgufArray)nested.Values.GetValue(0)!).Values);
        Assert.Null(r.GetString("missing"));
        Assert.Throws<InvalidDataException>(() => r.GetString("llama.block_count"));

        Assert.Equal(new[] { "a", "b" }, r.Tensors.Select(t => t.Name));
        var a = r.GetTensor("a");
        Assert.Equal(new long[] { 3, 2 }, a.Dimensions);
        Assert.Equal(3, a.RowLength);
        Assert.Equal(2, a.RowCount);
        Assert.Equal(0, a.FileOffset % 32);
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(r.GetTensorBytes(a)).ToArray();
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, floats);
        Assert.Equal(34, r.GetTensor("b").ByteSize);
        Assert.Equal(GgmlType.Q8_0, r.GetTensor("b").Type);
    }

    [Fact]
    public void ReadsTheSharedFixtureModel()
    {
        using var r = GgufReader.Open(TestPaths.Shared("fixtures/gguf/llama2-spm.gguf"));
        Assert.Equal("llama", r.GetString("general.architecture"));
        Assert.Equal(32000, r.GetStringArray("tokenizer.ggml.tokens")!.Length);
        Assert.Contains(r.Tensors, t => t.Name == "token_embd.weight");
    }

    [Fact]
    public void EveryTruncationOfAFileIsAFormatError()
    {
        byte[] bytes = File.ReadAllBytes(Write(SampleWriter()));
        for (int length = 0; length < bytes.Length; length++)
        {
            string path = Path.Combine(_dir, "truncated.gguf");
            File.WriteAllBytes(path, bytes[..length]);
            var ex = Assert.Throws<GgufFormatException>(() => GgufReader.Open(path).Dispose());
            Assert.InRange(ex.Offset, 0, Math.Max(length, 24));
        }
    }

    [Fact]
    public void RandomCorruptionNeverCrashesOrOverAllocates()
    {
        byte[] original = File.ReadAllBytes(Write(SampleWriter()));
        var random = new Random(1234);
        string path = Path.Combine(_dir, "corrupt.gguf");
        for (int trial = 0; trial < 400; trial++)
        {
            byte[] bytes = (byte[])original.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            File.WriteAllBytes(path, bytes);
            try
            {
                GgufReader.Open(path).Dispose();
            }
            catch (GgufFormatException)
            {
            }
        }
    }

    [Fact]
    public void HugeStringLengthIsRejectedWithItsOffset()
    {
        byte[] bytes = File.ReadAllBytes(Write(SampleWriter()));
        // The first metadata key's length field sits right after the 24-byte header.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1UL << 60);
        var ex = AssertFormatError(bytes);
        Assert.Equal(24, ex.Offset);
        Assert.Contains("string length", ex.Message);
    }

    [Fact]
    public void HugeCountsAreRejectedBeforeAllocating()
    {
        byte[] bytes = File.ReadAllBytes(Write(SampleWriter()));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), ulong.MaxValue);
        Assert.Contains("tensor count", AssertFormatError(bytes).Message);

        var w = new GgufWriter().Set("arr", new[] { 1, 2, 3 });
        bytes = File.ReadAllBytes(Write(w));
        // header 24 + key (8 + 3) + value type 4 + element type 4 -> array length at 43.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(43), 1UL << 40);
        Assert.Contains("length of array 'arr'", AssertFormatError(bytes).Message);
    }

    [Fact]
    public void BadMagicVersionAndTypesAreNamed()
    {
        byte[] bytes = File.ReadAllBytes(Write(SampleWriter()));
        var bad = (byte[])bytes.Clone();
        bad[0] = (byte)'X';
        Assert.Contains("not a GGUF file", AssertFormatError(bad).Message);

        bad = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(4), 9);
        Assert.Contains("unsupported GGUF version 9", AssertFormatError(bad).Message);

        var w = new GgufWriter().SetValue("k", (GgufValueType)77, 0);
        Assert.ThrowsAny<Exception>(() => Write(w));
    }

    [Fact]
    public void TensorPastEndOfFileIsRejected()
    {
        var w = new GgufWriter();
        w.AddTensor("t", new long[] { 64 }, new float[64]);
        byte[] bytes = File.ReadAllBytes(Write(w));
        var ex = AssertFormatError(bytes[..^16]);
        Assert.Contains("tensor 't'", ex.Message);
        Assert.Contains("past the end", ex.Message);
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => GgufReader.Open(Path.Combine(_dir, "nope.gguf")));
    }

    GgufFormatException AssertFormatError(byte[] bytes)
    {
        string path = Path.Combine(_dir, "bad.gguf");
        File.WriteAllBytes(path, bytes);
        return Assert.Throws<GgufFormatException>(() => GgufReader.Open(path).Dispose());
    }
}
