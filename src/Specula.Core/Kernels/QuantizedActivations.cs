using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// Activation rows converted once per matrix multiplication to the form the weight type's dot product
/// consumes (<see cref="VecDotType"/>), in a layout the kernels read directly:
/// <list type="bullet">
/// <item>Q8_0 / Q8_1: int8 values (rows padded to 64), one scale per 32 values (the fp16-rounded d that ggml
/// stores), the exact Σq per block, and for Q8_1 the fp16-rounded s = d·Σq per block.</item>
/// <item>Q8_K: int8 values, one float scale per 256 values, the sixteen 16-value sums per block and the eight
/// 32-value sums.</item>
/// <item>F32 / F16 / BF16: floats (for F16 and BF16 already rounded to that precision).</item>
/// </list>
/// The values are exactly the ones ggml's quantizers produce; <see cref="ToGgmlRow"/> writes them back in
/// ggml's block layout.
/// </summary>
public sealed unsafe class QuantizedActivations : IDisposable
{
    readonly NativeBuffer _values = new();
    readonly NativeBuffer _scales = new();
    readonly NativeBuffer _sums = new();
    readonly NativeBuffer _blockSums = new();
    readonly NativeBuffer _scaleLanes = new();
    readonly NativeBuffer _intSums = new();
    readonly NativeBuffer _nibbleOffsets = new();
    readonly NativeBuffer _subBlockSums = new();

    public GgmlType Type { get; private set; }
    public int Tokens { get; private set; }
    public int Columns { get; private set; }

    /// <summary>Bytes (int8 types) or floats (float types) between rows of <see cref="Values"/>.</summary>
    public int Stride { get; private set; }

    /// <summary>Number of scale entries per row: blocks of 32 (Q8_0/Q8_1) or 256 (Q8_K).</summary>
    public int BlocksPerRow { get; private set; }

    internal byte* Values => _values.Pointer;
    internal float* Scales => (float*)_scales.Pointer;
    internal float* Sums => (float*)_sums.Pointer;

    /// <summary>Q8_0/Q8_1: each block's scale repeated over its eight int32 lanes (16 floats per 64-value
    /// chunk), so the 512-bit kernels load a chunk's scales with one instruction.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal float* ScaleLaneRow(int token) => (float*)_scaleLanes.Pointer + (long)token * BlocksPerRow * 8;
    internal short* BlockSums => (short*)_blockSums.Pointer;

    /// <summary>Q8_0/Q8_1: Σq of each 32-value block as an exact integer (for the offset of Q4_0's values).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal int* IntSumRow(int token) => (int*)_intSums.Pointer + (long)token * BlocksPerRow;

    /// <summary>Q8_0: per 32-value block, −8·Σx over the values 4g, 4g+1 (low int16) and 4g+2, 4g+3 (high
    /// int16), g = 0..7: the offset of Q4_0's nibbles in the pair lanes of <see cref="TileKernels"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal int* NibbleOffsetRow(int token) => (int*)_nibbleOffsets.Pointer + (long)token * BlocksPerRow;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal sbyte* QuantRow(int token) => (sbyte*)_values.Pointer + (long)token * Stride;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal float* FloatRow(int token) => (float*)_values.Pointer + (long)token * Stride;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal float* ScaleRow(int token) => Scales + (long)token * BlocksPerRow;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal float* SumRow(int token) => Sums + (long)token * BlocksPerRow;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal short* BlockSumRow(int token) => BlockSums + (long)token * BlocksPerRow * 16;

    /// <summary>Q8_K: the eight 32-value sums of each block (pairs of the 16-value sums), for the minimums of
    /// the Q4_K row tiles.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal short* SubBlockSumRow(int token) => (short*)_subBlockSums.Pointer + (long)token * BlocksPerRow * 8;

    /// <summary>Sizes the buffers for <paramref name="tokens"/> rows of <paramref name="columns"/> values of
    /// <paramref name="type"/> (allocating only when they grow).</summary>
    public void Prepare(GgmlType type, int tokens, int columns)
    {
        Type = type;
        Tokens = tokens;
        Columns = columns;
        switch (type)
        {
            case GgmlType.F32 or GgmlType.F16 or GgmlType.BF16:
                Stride = (columns + 15) & ~15;
                BlocksPerRow = 0;
                _values.Ensure((long)tokens * Stride * sizeof(float));
                break;
            case GgmlType.Q8_0 or GgmlType.Q8_1:
                if (columns % 32 != 0) throw new ArgumentException($"{type} activations need a multiple of 32 columns, got {columns}");
                Stride = (columns + 63) & ~63;
                BlocksPerRow = Stride / 32;
                _values.Ensure((long)tokens * Stride);
                _scales.Ensure((long)tokens * BlocksPerRow * sizeof(float));
                _sums.Ensure((long)tokens * BlocksPerRow * sizeof(float));
                _scaleLanes.Ensure((long)tokens * BlocksPerRow * 8 * sizeof(float));
                _intSums.Ensure((long)tokens * BlocksPerRow * sizeof(int));
                _nibbleOffsets.Ensure((long)tokens * BlocksPerRow * sizeof(int));
                break;
            case GgmlType.Q8_K:
                if (columns % 256 != 0) throw new ArgumentException($"Q8_K activations need a multiple of 256 columns, got {columns}");
                Stride = columns;
                BlocksPerRow = columns / 256;
                _values.Ensure((long)tokens * Stride);
                _scales.Ensure((long)tokens * BlocksPerRow * sizeof(float));
                _blockSums.Ensure((long)tokens * BlocksPerRow * 16 * sizeof(short));
                _subBlockSums.Ensure((long)tokens * BlocksPerRow * 8 * sizeof(short));
                break;
            default:
                throw new NotSupportedException($"{type} is not an activation type of the matrix kernels");
        }
    }

    /// <summary>Writes token <paramref name="token"/> in ggml's block layout of <see cref="Type"/> (for tests and
    /// for comparing with ggml's quantizers).</summary>
    public void ToGgmlRow(int token, Span<byte> destination)
    {
        int n = Columns;
        switch (Type)
        {
            case GgmlType.F32:
                for (int i = 0; i < n; i++) BitConverter.TryWriteBytes(destination[(4 * i)..], FloatRow(token)[i]);
                break;
            case GgmlType.F16:
                for (int i = 0; i < n; i++)
                    BitConverter.TryWriteBytes(destination[(2 * i)..], BitConverter.HalfToUInt16Bits((Half)FloatRow(token)[i]));
                break;
            case GgmlType.BF16:
                for (int i = 0; i < n; i++)
                    BitConverter.TryWriteBytes(destination[(2 * i)..], (ushort)(BitConverter.SingleToUInt32Bits(FloatRow(token)[i]) >> 16));
                break;
            case GgmlType.Q8_0:
            case GgmlType.Q8_1:
            {
                int blockBytes = Type == GgmlType.Q8_0 ? 34 : 36;
                for (int b = 0; b < n / 32; b++)
                {
                    var block = destination.Slice(b * blockBytes, blockBytes);
                    BitConverter.TryWriteBytes(block, BitConverter.HalfToUInt16Bits((Half)ScaleRow(token)[b]));
                    if (Type == GgmlType.Q8_1)
                        BitConverter.TryWriteBytes(block[2..], BitConverter.HalfToUInt16Bits((Half)SumRow(token)[b]));
                    new ReadOnlySpan<byte>(QuantRow(token) + b * 32, 32).CopyTo(block[(blockBytes - 32)..]);
                }
                break;
            }
            case GgmlType.Q8_K:
                for (int b = 0; b < n / 256; b++)
                {
                    var block = destination.Slice(b * 292, 292);
                    BitConverter.TryWriteBytes(block, ScaleRow(token)[b]);
                    new ReadOnlySpan<byte>(QuantRow(token) + b * 256, 256).CopyTo(block[4..]);
                    for (int j = 0; j < 16; j++)
                        BitConverter.TryWriteBytes(block[(260 + 2 * j)..], BlockSumRow(token)[b * 16 + j]);
                }
                break;
        }
    }

    public void Dispose()
    {
        _values.Dispose();
        _scales.Dispose();
        _sums.Dispose();
        _blockSums.Dispose();
        _scaleLanes.Dispose();
        _intSums.Dispose();
        _nibbleOffsets.Dispose();
        _subBlockSums.Dispose();
    }
}
