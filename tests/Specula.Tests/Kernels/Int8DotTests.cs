using System.Runtime.Intrinsics;
using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary><see cref="Int8Dot.AddQuads(Vector256{int}, Vector256{byte}, Vector256{sbyte})"/> takes the AVX-VNNI
/// instruction where the CPU has it and two multiply-add steps elsewhere; whichever this machine runs must
/// equal plain integer arithmetic over the value ranges the kernels feed it (unsigned bytes up to 128:
/// nibbles, 5-bit values, Q8_0 magnitudes; signed activations -127..127).</summary>
public class Int8DotTests
{
    [Theory]
    [InlineData(15, 1)]
    [InlineData(31, 2)]
    [InlineData(128, 3)]
    public void AddQuadsEqualsScalarSumsOfFourProducts(int maxUnsigned, int seed)
    {
        var random = new Random(seed);
        var u = new byte[32];
        var s = new sbyte[32];
        var acc = new int[8];
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < 32; i++)
            {
                // Extremes on purpose: the largest pair sums are where a saturating step would differ.
                u[i] = (byte)(round % 4 == 0 ? maxUnsigned : random.Next(maxUnsigned + 1));
                s[i] = (sbyte)(round % 4 == 0 ? (i % 2 == 0 ? 127 : -127) : random.Next(-127, 128));
            }
            for (int l = 0; l < 8; l++) acc[l] = random.Next(-1_000_000, 1_000_000);

            var wide = Int8Dot.AddQuads(Vector256.Create(acc), Vector256.Create(u), Vector256.Create(s));
            var narrow = Int8Dot.AddQuads(Vector128.Create(acc.AsSpan(0, 4)), Vector128.Create(u.AsSpan(0, 16)), Vector128.Create(s.AsSpan(0, 16)));
            for (int lane = 0; lane < 8; lane++)
            {
                int expected = acc[lane];
                for (int k = 0; k < 4; k++) expected += u[4 * lane + k] * s[4 * lane + k];
                Assert.Equal(expected, wide[lane]);
                if (lane < 4) Assert.Equal(expected, narrow[lane]);
            }
        }
    }

    [Fact]
    public void TheLargestQ8MagnitudesDoNotSaturateThePairStep()
    {
        // 128 · 127 twice is 32512, just inside int16: the fallback's pair step and VNNI agree.
        var u = Vector256.Create((byte)128);
        var s = Vector256.Create((sbyte)127);
        Assert.Equal(Vector256.Create(4 * 128 * 127), Int8Dot.AddQuads(Vector256<int>.Zero, u, s));
        Assert.Equal(Vector256.Create(-4 * 128 * 127), Int8Dot.AddQuads(Vector256<int>.Zero, u, -s));
    }
}
