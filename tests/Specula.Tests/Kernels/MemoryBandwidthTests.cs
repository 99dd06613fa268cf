using System.Runtime.InteropServices;
using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

public unsafe class MemoryBandwidthTests
{
    [Theory]
    [InlineData(MemoryBandwidth.Pattern.OneStream)]
    [InlineData(MemoryBandwidth.Pattern.FourStreams)]
    [InlineData(MemoryBandwidth.Pattern.Prefetched)]
    public void EveryPatternReadsEachByteOfItsShareExactlyOnce(MemoryBandwidth.Pattern pattern)
    {
        // Small markers every 508 bytes (the low byte of an int32, so no lane overflows) and at the last int:
        // a skipped or doubly read region changes the sum. The bytes past the share must not be read.
        const int share = 64 * MemoryBandwidth.ShareUnit;
        const int past = 4096;
        byte* buffer = (byte*)NativeMemory.AlignedAlloc(share + past, 64);
        try
        {
            NativeMemory.Clear(buffer, share + past);
            long expected = 0;
            for (int i = 0; i < share; i += 508)
            {
                buffer[i] = (byte)(1 + i % 7);
                expected += buffer[i];
            }
            buffer[share - 4] = 9;
            expected += 9;
            NativeMemory.Fill(buffer + share, past, 100);

            Assert.Equal(expected, MemoryBandwidth.Read(pattern, buffer, share));
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    [Fact]
    public void ShareThatIsNotAWholeNumberOfStepsIsRejected()
    {
        byte* buffer = stackalloc byte[64];
        Assert.Throws<ArgumentException>(() => MemoryBandwidth.Read(MemoryBandwidth.Pattern.OneStream, buffer, 1000));
    }

    [Fact]
    public void MeasurementReportsAPositiveRateForEveryPatternAndTheBestOfThem()
    {
        using var pool = new ComputePool(2);
        var rates = MemoryBandwidth.MeasureByPattern(pool, 8L << 20, passes: 2);
        Assert.Equal(3, rates.Length);
        Assert.All(rates, r => Assert.True(r > 1e8 && double.IsFinite(r), $"rate {r}"));
    }
}
