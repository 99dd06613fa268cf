using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Specula.Kernels;
using Specula.Tensors;

namespace Specula.Tests.Kernels;

/// <summary>A weight matrix of random but valid ggml blocks in native memory (scales are finite halves).</summary>
sealed unsafe class TestWeights : IDisposable
{
    readonly GgmlType _type;
    readonly int _rows, _columns;
    WeightMatrix? _matrix;

    public byte* Data { get; }
    public byte[] Bytes { get; }

    /// <summary>Created on first use, so a test may edit <see cref="Data"/> before (row-tiled types copy it).</summary>
    public WeightMatrix Matrix => _matrix ??= new WeightMatrix($"test.{_type}", _type, _rows, _columns, Data);

    /// <param name="fill">When set, every byte other than the scales takes this value instead of a random one.</param>
    public TestWeights(GgmlType type, int rows, int columns, int seed, byte? fill = null)
    {
        var info = GgmlTypeInfo.Get(type);
        long rowBytes = info.RowBytes(columns);
        Bytes = new byte[rowBytes * rows];
        var random = new Random(seed);
        if (fill is byte value) Bytes.AsSpan().Fill(value);
        else random.NextBytes(Bytes);
        int blockBytes = info.BytesPerBlock;
        for (long offset = 0; offset < Bytes.Length; offset += blockBytes)
            FixBlock(type, Bytes.AsSpan((int)offset, blockBytes), random);
        Data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, Bytes.Length), 64);
        Bytes.CopyTo(new Span<byte>(Data, Bytes.Length));
        _type = type;
        _rows = rows;
        _columns = columns;
    }

    public ReadOnlySpan<byte> Row(int r) => Matrix.Row(r);


    static void WriteHalf(Span<byte> at, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(at, BitConverter.HalfToUInt16Bits((Half)value));

    static float Scale(Random random) => (float)(random.NextDouble() * 2 - 1) * 0.05f;

    static void FixBlock(GgmlType type, Span<byte> block, Random random)
    {
        switch (type)
        {
            case GgmlType.F32:
                BinaryPrimitives.WriteSingleLittleEndian(block, (float)(random.NextDouble() * 2 - 1));
                break;
            case GgmlType.F16:
                WriteHalf(block, (float)(random.NextDouble() * 2 - 1));
                break;
            case GgmlType.BF16:
                BinaryPrimitives.WriteUInt16LittleEndian(block,
                    (ushort)(BitConverter.SingleToUInt32Bits((float)(random.NextDouble() * 2 - 1)) >> 16));
                break;
            case GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0:
                WriteHalf(block, Scale(random));
                break;
            case GgmlType.Q4_1 or GgmlType.Q5_1:
                WriteHalf(block, Math.Abs(Scale(random)));
                WriteHalf(block[2..], Scale(random) * 8);
                break;
            case GgmlType.Q2_K:
                WriteHalf(block[80..], Math.Abs(Scale(random)));
                WriteHalf(block[82..], Math.Abs(Scale(random)));
                break;
            case GgmlType.Q3_K:
                WriteHalf(block[108..], Scale(random));
                break;
            case GgmlType.Q4_K or GgmlType.Q5_K:
                WriteHalf(block, Math.Abs(Scale(random)) / 8);
                WriteHalf(block[2..], Math.Abs(Scale(random)) / 8);
                break;
            case GgmlType.Q6_K:
                WriteHalf(block[208..], Scale(random) / 8);
                break;
        }
    }

    public static float[] RandomActivations(int tokens, int columns, int seed)
    {
        var random = new Random(seed);
        var x = new float[tokens * columns];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1) * (i % 7 == 0 ? 4f : 1f);
        return x;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(Data);
    }
}
