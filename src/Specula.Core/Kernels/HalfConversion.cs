using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// Half → float conversion of a row with integer operations (.NET has no hardware conversion to call): the
/// half's bits, sign-extended and shifted left by 13, hold the sign in bit 31 (copies of it in bits 28-30,
/// cleared), exponent and mantissa in place; multiplying by 2^112 rebiases the exponent and normalises
/// subnormals; infinities and NaNs get the all-ones exponent instead. Exact for every input, so each vector
/// width gives the same floats. Used by the float matrix kernels (<see cref="F16Row"/>), the row decoder
/// (<see cref="WeightDecoder"/>) and the F16 KV cache's attention.
/// </summary>
internal static unsafe class HalfConversion
{
    /// <summary>Converts <paramref name="count"/> halves and writes zeros up to <paramref name="padded"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row<T>(ushort* source, int count, float* destination, int padded) where T : unmanaged, ILanes16<T>
    {
        int i = 0;
        if (typeof(T) == typeof(Lanes512))
        {
            for (; i + 32 <= count; i += 32)
            {
                // One test for infinities and NaNs over thirty-two halves (almost never true), then the shorter
                // conversion of finite values.
                var halves = Vector512.Load((short*)source + i);
                if (Vector512.EqualsAny(halves & Vector512.Create((short)0x7C00), Vector512.Create((short)0x7C00)))
                {
                    ToSingle(Avx512BW.ConvertToVector512Int32(halves.GetLower())).Store(destination + i);
                    ToSingle(Avx512BW.ConvertToVector512Int32(halves.GetUpper())).Store(destination + i + 16);
                    continue;
                }
                FiniteToSingle(Avx512BW.ConvertToVector512Int32(halves.GetLower())).Store(destination + i);
                FiniteToSingle(Avx512BW.ConvertToVector512Int32(halves.GetUpper())).Store(destination + i + 16);
            }
            for (; i + 16 <= count; i += 16)
                ToSingle(Avx512BW.ConvertToVector512Int32(Vector256.Load((short*)source + i))).Store(destination + i);
        }
        else if (typeof(T) == typeof(Lanes256))
        {
            for (; i + 8 <= count; i += 8)
                ToSingle(Avx2.ConvertToVector256Int32(Vector128.Load((short*)source + i))).Store(destination + i);
        }
        else
        {
            for (; i + 8 <= count; i += 8)
            {
                var (low, high) = Vector128.Widen(Vector128.Load((short*)source + i));
                ToSingle(low).Store(destination + i);
                ToSingle(high).Store(destination + i + 4);
            }
        }
        for (; i < count; i++) destination[i] = HalfTable.Values[source[i]];
        for (; i < padded; i++) destination[i] = 0f;
    }

    const uint SignAndField = 0x8FFFFFFFu, Magnitude = 0x7FFFFFFFu, InfinityBits = 0x0F800000u, AllOnesExponent = 0x70000000u;
    const float Rebias = 5.192296858534828e+33f; // 2^112

    /// <summary>Sixteen halves, sign-extended to 32 bits, as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ToSingle(Vector512<int> extended)
    {
        var bits = (extended << 13).AsUInt32() & Vector512.Create(SignAndField);
        var isInfOrNan = Vector512.GreaterThanOrEqual(bits & Vector512.Create(Magnitude), Vector512.Create(InfinityBits));
        return Vector512.ConditionalSelect(isInfOrNan.AsSingle(), (bits | Vector512.Create(AllOnesExponent)).AsSingle(), bits.AsSingle() * Vector512.Create(Rebias));
    }

    /// <summary>As <see cref="ToSingle(Vector512{int})"/> for halves known to be finite (no infinity or NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FiniteToSingle(Vector512<int> extended) =>
        ((extended << 13).AsUInt32() & Vector512.Create(SignAndField)).AsSingle() * Vector512.Create(Rebias);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ToSingle(Vector256<int> extended)
    {
        var bits = (extended << 13).AsUInt32() & Vector256.Create(SignAndField);
        var isInfOrNan = Vector256.GreaterThanOrEqual(bits & Vector256.Create(Magnitude), Vector256.Create(InfinityBits));
        return Vector256.ConditionalSelect(isInfOrNan.AsSingle(), (bits | Vector256.Create(AllOnesExponent)).AsSingle(), bits.AsSingle() * Vector256.Create(Rebias));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ToSingle(Vector128<int> extended)
    {
        var bits = (extended << 13).AsUInt32() & Vector128.Create(SignAndField);
        var isInfOrNan = Vector128.GreaterThanOrEqual(bits & Vector128.Create(Magnitude), Vector128.Create(InfinityBits));
        return Vector128.ConditionalSelect(isInfOrNan.AsSingle(), (bits | Vector128.Create(AllOnesExponent)).AsSingle(), bits.AsSingle() * Vector128.Create(Rebias));
    }
}
