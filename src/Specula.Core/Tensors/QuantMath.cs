using System.Runtime.CompilerServices;

namespace Specula.Tensors;

/// <summary>Rounding and conversion primitives exactly as ggml's C reference quantizers evaluate them on
/// x86-64, so our bytes match theirs bit for bit (including degenerate inputs such as tiny scales whose
/// reciprocal overflows).</summary>
internal static class QuantMath
{
    /// <summary>Smallest group maximum ggml treats as non-zero in the K-quant searches (GROUP_MAX_EPS).</summary>
    public const float GroupMaxEps = 1e-15f;

    /// <summary>ggml's nearest_int: adding 1.5 * 2^23 lets the FPU round to nearest even, and the integer
    /// is read back from the significand bits. Exact for |value| &lt;= 2^22; outside that ggml relies on
    /// the same bit trick, so we keep it rather than a "correct" rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float value)
    {
        float shifted = value + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007F_FFFF) - 0x0040_0000;
    }

    /// <summary>C's float-to-integer conversion as x86-64 compilers emit it (cvttss2si): truncates toward
    /// zero; NaN and out-of-range values give int.MinValue. (C# would saturate instead.)</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TruncateToInt32(float value) =>
        value >= -2147483648f && value < 2147483648f ? (int)value : int.MinValue;

    /// <summary>C's roundf: nearest integer, half-way cases away from zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundHalfAwayFromZero(float value) => MathF.Round(value, MidpointRounding.AwayFromZero);

    /// <summary>C's MAX(a, b) macro, ((a) &gt; (b) ? (a) : (b)), which matters when b is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CMax(float a, float b) => a > b ? a : b;
}
