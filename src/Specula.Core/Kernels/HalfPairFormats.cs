using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>How a 16-bit float type is converted from pair order (<see cref="HalfPairRows"/>): each 32-bit word
/// holds value j of a 32-column group in its low and value 16 + j in its high half.</summary>
internal unsafe interface IHalfPairFormat
{
    /// <summary>The constant <see cref="Low"/> and <see cref="High"/> take (loaded once, outside the loops).</summary>
    static abstract Vector512<int> Mask { get; }
    /// <summary>Values 0-15 of the group (times 2^-112 when <see cref="Rebiased"/>).</summary>
    static abstract Vector512<float> Low(Vector512<int> words, Vector512<int> mask);
    /// <summary>Values 16-31 of the group (times 2^-112 when <see cref="Rebiased"/>).</summary>
    static abstract Vector512<float> High(Vector512<int> words, Vector512<int> mask);
    /// <summary>Whether <see cref="Low"/> and <see cref="High"/> give 2^-112 times the values, to be multiplied
    /// by <see cref="HalfPairRows.Rebias"/> (on the weights or on the activations).</summary>
    static abstract bool Rebiased { get; }
    /// <summary>Sixteen values in row order, exactly.</summary>
    static abstract Vector512<float> RowOrder16(byte* at);
    static abstract float Load1(byte* at);
}

/// <summary>F16: the half's sign, exponent and mantissa are moved into place with an arithmetic shift (the
/// sign's copies and the other half's bits masked off); the result reads 2^-112 times the value, exactly for
/// every finite half, subnormals included. Infinities and NaNs would come out finite: matrices holding one are
/// not packed.</summary>
internal unsafe struct F16Pairs : IHalfPairFormat
{
    public static Vector512<int> Mask => Vector512.Create(unchecked((int)0x8FFFE000));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<int> words, Vector512<int> mask) => (((words << 16) >> 3) & mask).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<int> words, Vector512<int> mask) => ((words >> 3) & mask).AsSingle();

    public static bool Rebiased => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RowOrder16(byte* at) => F16Row.Load16(at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => F16Row.Load1(at);
}

/// <summary>BF16: a bfloat16 is the upper half of a float, so a shift (low half) or a mask (high half) is the
/// whole conversion, exact for every input.</summary>
internal unsafe struct BF16Pairs : IHalfPairFormat
{
    public static Vector512<int> Mask => Vector512.Create(unchecked((int)0xFFFF0000));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<int> words, Vector512<int> mask) => (words << 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<int> words, Vector512<int> mask) => (words & mask).AsSingle();

    public static bool Rebiased => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RowOrder16(byte* at) => BF16Row.Load16(at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load1(byte* at) => BF16Row.Load1(at);
}
