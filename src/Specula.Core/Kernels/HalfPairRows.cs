using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// An F16 weight matrix copied once, when the <see cref="WeightMatrix"/> is created, into "pair order": in
/// each row, every whole group of 32 halves h[0..31] is stored as sixteen 32-bit words, word j holding h[j]
/// in its low and h[16 + j] in its high 16 bits. The columns past the last whole 32 stay as they are. Rows keep
/// their place and length, so the matrix is still read as one stream.
/// <para>Why: with this order one 512-bit load and two shifts per half put the first sixteen values of the
/// group in the lanes of one register and the last sixteen in another, each half in the upper bits of its
/// lane, where a plain f16 → f32 conversion (sign-extending each half, a cross-lane widening) needs about
/// twice the work. The lanes hold the same values as the row-order kernels' two registers, so the sums are
/// formed in the same order and the results are bit-identical (<see cref="FloatKernels"/>).</para>
/// <para>The conversion (<see cref="Low"/>, <see cref="High"/>) is exact for finite halves only, so a matrix
/// holding an infinity or a NaN is not copied (<see cref="TryPack"/> returns null) and keeps the exact
/// row-order path. Built only where the machine has AVX-512; the kernels use it on the 512-bit path.</para>
/// </summary>
internal sealed unsafe class HalfPairRows : IDisposable
{
    readonly long _bytes;
    byte* _data;

    public int Rows { get; }
    public int Columns { get; }
    public long RowBytes { get; }

    HalfPairRows(int rows, int columns)
    {
        Rows = rows;
        Columns = columns;
        RowBytes = 2L * columns;
        _bytes = RowBytes * rows;
        _data = RowTiles.Allocate(_bytes);
        GC.AddMemoryPressure(Math.Max(_bytes, 64));
    }

    public byte* Row(int row) => _data + row * RowBytes;

    /// <summary>2^112: a half's exponent and mantissa moved into a float's bits read 2^-112 times the half's
    /// value (the float exponent bias is 112 larger); multiplying by this rebiases it exactly, subnormals
    /// included.</summary>
    public const float Rebias = 5.192296858534828e+33f;

    /// <summary>Bits kept after the arithmetic shift: the sign (bit 31), the half's exponent and mantissa
    /// (bits 13-27); the sign's copies (28-30) and the other half's bits (0-12) are cleared. (A parameter of the
    /// conversions so that the kernels load it once, outside their loops.)</summary>
    public static Vector512<int> KeptBits => Vector512.Create(unchecked((int)0x8FFFE000));

    /// <summary>The first sixteen values of a pair-order group, each 2^-112 times its value (see
    /// <see cref="Rebias"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Low(Vector512<int> words, Vector512<int> keptBits) => (((words << 16) >> 3) & keptBits).AsSingle();

    /// <summary>The last sixteen values of a pair-order group, each 2^-112 times its value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> High(Vector512<int> words, Vector512<int> keptBits) => ((words >> 3) & keptBits).AsSingle();

    public static bool CanPack => Avx512BW.IsSupported && Avx512F.IsSupported && Avx512DQ.IsSupported;

    /// <summary>The pair-order copy of <paramref name="rows"/> rows of F16 at <paramref name="source"/>, or null
    /// when a half is an infinity or a NaN, or the machine has no AVX-512. Large matrices on several threads.</summary>
    public static HalfPairRows? TryPack(int rows, int columns, byte* source, long rowBytes)
    {
        if (!CanPack || rows == 0) return null;
        var pairs = new HalfPairRows(rows, columns);
        const int rowsPerTask = 64;
        int tasks = (rows + rowsPerTask - 1) / rowsPerTask;
        int nonFinite = 0;
        if (pairs._bytes < (4 << 20) || Environment.ProcessorCount == 1)
        {
            for (int t = 0; t < tasks && nonFinite == 0; t++)
                if (!pairs.PackRows(t * rowsPerTask, Math.Min(rows, (t + 1) * rowsPerTask), source, rowBytes)) nonFinite = 1;
        }
        else
        {
            nint sourceAddress = (nint)source;
            Parallel.For(0, tasks, (t, state) =>
            {
                if (!pairs.PackRows(t * rowsPerTask, Math.Min(rows, (t + 1) * rowsPerTask), (byte*)sourceAddress, rowBytes))
                {
                    Interlocked.Exchange(ref nonFinite, 1);
                    state.Stop();
                }
            });
        }
        if (nonFinite == 0) return pairs;
        pairs.Dispose();
        return null;
    }

    /// <summary>Copies rows [<paramref name="from"/>, <paramref name="to"/>); false if one holds an infinity
    /// or a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool PackRows(int from, int to, byte* source, long sourceRowBytes)
    {
        // Word j of a group takes halves j and 16 + j.
        var order = Vector512.Create((ushort)0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        var exponent = Vector512.Create((ushort)0x7C00);
        var nonFinite = Vector512<ushort>.Zero;
        int whole = Columns & ~31;
        for (int r = from; r < to; r++)
        {
            ushort* s = (ushort*)(source + r * sourceRowBytes);
            ushort* d = (ushort*)Row(r);
            int i = 0;
            for (; i < whole; i += 32)
            {
                var halves = Vector512.Load(s + i);
                nonFinite |= Vector512.Equals(halves & exponent, exponent);
                Avx512BW.PermuteVar32x16(halves, order).Store(d + i);
            }
            for (; i < Columns; i++)
            {
                if ((s[i] & 0x7C00) == 0x7C00) nonFinite = Vector512<ushort>.AllBitsSet;
                d[i] = s[i];
            }
        }
        return nonFinite == Vector512<ushort>.Zero;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~HalfPairRows() => Free();

    void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        GC.RemoveMemoryPressure(Math.Max(_bytes, 64));
    }
}
