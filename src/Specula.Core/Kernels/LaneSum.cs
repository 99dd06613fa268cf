using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>
/// Sums of the sixteen (or eight) float accumulator lanes in one fixed order, whatever vector width holds
/// them: lane i is first added to lane i+8, then i+4, then i+2, then i+1. Every kernel reduces with these so
/// that a result does not depend on the vector width or on how many rows or tokens were processed together.
/// </summary>
internal static class LaneSum
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of16(Vector512<float> lanes) => Of8(lanes.GetLower() + lanes.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of16(Vector256<float> low, Vector256<float> high) => Of8(low + high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of16(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3) =>
        Of4((q0 + q2) + (q1 + q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of8(Vector256<float> lanes) => Of4(lanes.GetLower() + lanes.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of8(Vector128<float> low, Vector128<float> high) => Of4(low + high);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Of4(Vector128<float> v) => (v.GetElement(0) + v.GetElement(2)) + (v.GetElement(1) + v.GetElement(3));
}
