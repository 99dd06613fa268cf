using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>How sixteen weights of a float type are read into a 512-bit register.</summary>
internal unsafe interface IFloatRow
{
    static abstract int ElementBytes { get; }
    static abstract Vector512<float> Load16(byte* at);
    static abstract float Load1(byte* at);
}

internal unsafe struct F32Row : IFloatRow
{
    public static int ElementBytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* at) => Vector512.Load((float*)at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => *(float*)at;
}

internal unsafe struct F16Row : IFloatRow
{
    public static int ElementBytes => 2;

    /// <summary>f16 → f32, exact for every input: the magnitude's fields are moved into place and scaled by
    /// 2^112 (which rebiases the exponent and normalises subnormals); infinities and NaNs get the all-ones
    /// exponent instead; the sign is put back last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* at)
    {
        var bits = Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)at));
        var magnitude = (bits & Vector512.Create(0x7FFFu)) << 13;
        var value = magnitude.AsSingle() * Vector512.Create(5.192296858534828e+33f);
        var isInfOrNan = Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x0F800000u));
        value = Vector512.ConditionalSelect(isInfOrNan.AsSingle(), (magnitude | Vector512.Create(0x70000000u)).AsSingle(), value);
        return Vector512.ConditionalSelect(Vector512.Create(0x80000000u), bits << 16, value.AsUInt32()).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => HalfTable.Values[*(ushort*)at];
}

internal unsafe struct BF16Row : IFloatRow
{
    public static int ElementBytes => 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* at) =>
        (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)at)) << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => BitConverter.Int32BitsToSingle(*(ushort*)at << 16);
}

/// <summary>
/// Matrix-vector products of float rows (F32, F16, BF16) for few tokens on the 512-bit path: each row is
/// read once, in order, converted in registers and multiplied with the token's floats. Same steps as
/// <see cref="FloatKernels"/> on converted rows (lane i takes values 16k+i, then the tail one by one), so
/// the results are bit-identical to it.
/// </summary>
internal static unsafe class FloatGemv
{
    public static void Dot<TRow>(byte* weights, long rowBytes, int row, int count, int columns, float* x, float* y)
        where TRow : struct, IFloatRow
    {
        int whole = columns & ~15;
        for (int k = 0; k < count; k++)
        {
            byte* r = weights + (row + k) * rowBytes;
            Vector512<float> acc = default;
            for (int i = 0; i < whole; i += 16)
            {
                byte* at = r + (long)i * TRow.ElementBytes;
                Sse.Prefetch0(at + KernelOptions.PrefetchBytes);
                acc = Vector512.FusedMultiplyAdd(TRow.Load16(at), Vector512.Load(x + i), acc);
            }
            // Reduce before the tail loop so the accumulator is not live across it (the register allocator
            // otherwise spills it inside the hot loop).
            float lanes = LaneSum.Of16(acc);
            y[k] = lanes + Tail<TRow>(r, x, whole, columns);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static float Tail<TRow>(byte* row, float* x, int from, int to) where TRow : struct, IFloatRow
    {
        float sum = 0;
        for (int i = from; i < to; i++) sum += TRow.Load1(row + (long)i * TRow.ElementBytes) * x[i];
        return sum;
    }
}
