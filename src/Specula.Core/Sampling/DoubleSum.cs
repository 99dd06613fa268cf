using System.Numerics;
using System.Runtime.InteropServices;

namespace Specula.Sampling;

/// <summary>
/// Sums floats in double precision with SIMD (each float vector widened to two double vectors). Softmax
/// normalisers over 150k-token vocabularies lose about 1e-7 relative in float, enough to move a top-p
/// boundary close to 1; in double they do not.
/// </summary>
internal static class DoubleSum
{
    public static double Of(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int width = Vector<float>.Count;
        var low = Vector<double>.Zero;
        var high = Vector<double>.Zero;
        int i = 0;
        for (; i <= values.Length - width; i += width)
        {
            Vector.Widen(Vector.LoadUnsafe(ref start, (nuint)i), out Vector<double> lowHalf, out Vector<double> highHalf);
            low += lowHalf;
            high += highHalf;
        }
        double sum = Vector.Sum(low + high);
        for (; i < values.Length; i++)
            sum += values[i];
        return sum;
    }
}
