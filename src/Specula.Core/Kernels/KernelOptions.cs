using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// Process-wide switches of the kernels. <see cref="MaxVectorWidth"/> caps the SIMD width the kernels may
/// use (512, 256 or 128 bits) so the narrower paths can be tested and compared on a wide machine; it starts
/// from the environment variable <c>SPECULA_MAX_VECTOR_WIDTH</c> when set. Every width computes the same
/// per-lane arithmetic in the same order, so results do not depend on the width chosen.
/// </summary>
public static class KernelOptions
{
    static int _maxVectorWidth = ReadWidthFromEnvironment();

    /// <summary>Whether row-tiled weights ask Linux for transparent huge pages (see <see cref="RowTiles"/>);
    /// read when a matrix is created. Starts from <c>SPECULA_HUGE_PAGES</c> (<c>0</c> turns it off).</summary>
    public static bool HugePages { get; set; } = Environment.GetEnvironmentVariable("SPECULA_HUGE_PAGES") != "0";

    /// <summary>Widest vector path allowed: 512, 256 or 128 (128 is the portable path).</summary>
    public static int MaxVectorWidth
    {
        get => _maxVectorWidth;
        set
        {
            if (value is not (128 or 256 or 512))
                throw new ArgumentOutOfRangeException(nameof(value), value, "vector width must be 128, 256 or 512 bits");
            _maxVectorWidth = value;
        }
    }

    /// <summary>The width the kernels actually use: <see cref="MaxVectorWidth"/> limited by the hardware.</summary>
    public static int EffectiveVectorWidth =>
        Use512 ? 512 : Use256 ? 256 : 128;

    /// <summary>How far ahead of the current position the k-quant and float matrix-vector kernels prefetch their
    /// weight row: the hardware prefetcher alone left those streams at about 60-80% of the read bandwidth. (The
    /// row-tile kernels read faster without: their stream is denser and their loop shorter.)</summary>
    internal const int PrefetchBytes = 2048;

    internal static bool Use512 =>
        _maxVectorWidth >= 512 && Avx512BW.IsSupported && Avx512F.IsSupported && Avx512DQ.IsSupported;

    internal static bool Use256 => _maxVectorWidth >= 256 && Avx2.IsSupported && Fma.IsSupported;

    static int ReadWidthFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("SPECULA_MAX_VECTOR_WIDTH");
        return int.TryParse(text, out int width) && width is 128 or 256 or 512 ? width : 512;
    }
}
