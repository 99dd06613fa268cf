using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>How sixteen weights of a float type are read into a 512-bit register.</summary>
internal unsafe interface IFloatRow
{
    static abstract int ElementBytes { get; }
    static abstract Vector512<float> Load16(byte* at);
    /// <summary>Thirty-two weights: the same values as two <see cref="Load16"/>, possibly faster.</summary>
    static abstract (Vector512<float> First, Vector512<float> Second) Load32(byte* at);
    static abstract float Load1(byte* at);
}

internal unsafe struct F32Row : IFloatRow
{
    public static int ElementBytes => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* at) => Vector512.Load((float*)at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> First, Vector512<float> Second) Load32(byte* at) => (Load16(at), Load16(at + 64));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => *(float*)at;
}

internal unsafe struct F16Row : IFloatRow
{
    public static int ElementBytes => 2;

    /// <summary>f16 → f32, exact for every input. Sign-extending the 16 bits and shifting them left by 13 puts
    /// the sign in bit 31 (and copies of it in bits 28-30, cleared), the exponent and mantissa in place; scaling
    /// by 2^112 then rebiases the exponent and normalises subnormals, keeping the sign. Infinities and NaNs
    /// get the all-ones exponent instead.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load16(byte* at) =>
        HalfConversion.ToSingle(Avx512BW.ConvertToVector512Int32(Vector256.Load((short*)at)));

    /// <summary>As <see cref="Load16"/> for sixteen values known to be finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Finite16(byte* at) =>
        HalfConversion.FiniteToSingle(Avx512BW.ConvertToVector512Int32(Vector256.Load((short*)at)));

    /// <summary>One test for infinities and NaNs over all thirty-two values (almost never true), then the
    /// shorter conversion.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<float> First, Vector512<float> Second) Load32(byte* at)
    {
        var exponents = Vector512.Load((ushort*)at) & Vector512.Create((ushort)0x7C00);
        if (Vector512.EqualsAny(exponents, Vector512.Create((ushort)0x7C00))) return (Load16(at), Load16(at + 32));
        return (Finite16(at), Finite16(at + 32));
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
    public static (Vector512<float> First, Vector512<float> Second) Load32(byte* at) => (Load16(at), Load16(at + 32));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => BitConverter.Int32BitsToSingle(*(ushort*)at << 16);
}

/// <summary>
/// Matrix-vector products of float rows (F32, F16, BF16) for few tokens on the 512-bit path: each row is
/// read once, in order (the hardware prefetcher keeps up: software prefetching measured no faster), converted
/// in registers and multiplied with the token's floats. Same steps as
/// <see cref="FloatKernels"/> on converted rows (thirty-two partial sums, then the tail one by one), so
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
            Vector512<float> low = default, high = default;
            int i = 0;
            for (; i + 32 <= whole; i += 32)
            {
                var (first, second) = TRow.Load32(r + (long)i * TRow.ElementBytes);
                low = Vector512.FusedMultiplyAdd(first, Vector512.Load(x + i), low);
                high = Vector512.FusedMultiplyAdd(second, Vector512.Load(x + i + 16), high);
            }
            if (i < whole) low = Vector512.FusedMultiplyAdd(TRow.Load16(r + (long)i * TRow.ElementBytes), Vector512.Load(x + i), low);
            // Reduce before the tail loop so the accumulators are not live across it (the register allocator
            // otherwise spills them inside the hot loop).
            float lanes = LaneSum.Of16(low + high);
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
