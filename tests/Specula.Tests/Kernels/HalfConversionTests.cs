using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>The vector f16 → f32 conversions the kernels use are exact for every one of the 65536 inputs:
/// normals, subnormals, zeros of both signs and infinities bit for bit, NaNs as NaNs of the same sign (the
/// library quiets signalling NaNs, the bit moves keep them as they are).</summary>
public class HalfConversionTests
{
    static void AssertConverted(ushort h, float actual, string what)
    {
        float expected = (float)BitConverter.UInt16BitsToHalf(h);
        if (float.IsNaN(expected))
        {
            Assert.True(float.IsNaN(actual) && float.IsNegative(actual) == float.IsNegative(expected), $"{what}, half 0x{h:X4}");
            return;
        }
        Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(actual), $"{what}, half 0x{h:X4}: {expected} vs {actual}");
    }

    [Fact]
    public unsafe void EightLaneConversionIsExactForEveryHalf()
    {
        ushort* halves = stackalloc ushort[8];
        for (int start = 0; start < 65536; start += 8)
        {
            for (int i = 0; i < 8; i++) halves[i] = (ushort)(start + i);
            var converted = WeightDecoder.HalfToSingle(Vector128.Load(halves));
            for (int i = 0; i < 8; i++) AssertConverted(halves[i], converted[i], "8 lanes");
        }
    }

    [Fact]
    public unsafe void SixteenAndThirtyTwoLaneConversionsAreExactForEveryHalf()
    {
        if (!Avx512BW.IsSupported) return; // the 512-bit kernels do not run on this machine
        ushort* halves = stackalloc ushort[32];
        for (int start = 0; start < 65536; start += 32)
        {
            for (int i = 0; i < 32; i++) halves[i] = (ushort)(start + i);
            var sixteen = F16Row.Load16((byte*)halves);
            var (first, second) = F16Row.Load32((byte*)halves);
            for (int i = 0; i < 32; i++)
            {
                if (i < 16) AssertConverted(halves[i], sixteen[i], "Load16");
                AssertConverted(halves[i], i < 16 ? first[i] : second[i - 16], "Load32");
            }
        }
    }
}
