using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// An F16 or BF16 weight matrix copied once, when the <see cref="WeightMatrix"/> is created, into "pair order"
/// by groups of four rows.
/// <para>Pair order: in each row, every whole group of 32 values h[0..31] is stored as sixteen 32-bit words,
/// word j holding h[j] in its low and h[16 + j] in its high 16 bits. With this order one 512-bit load and a
/// shift or two per half put the first sixteen values of the group in the lanes of one register and the last
/// sixteen in another, each in the upper bits of its lane (<see cref="IHalfPairFormat"/>), where the row-order
/// conversion widens each half across lanes first (for F16 about twice the work). The lanes hold the same values
/// as the row-order kernels' two registers, so the sums are formed in the same order and the results are
/// bit-identical (<see cref="FloatKernels"/>).</para>
/// <para>Groups of four rows: the four rows' 64 bytes of each 32-column group are consecutive (256 bytes), then
/// come the four rows' remaining columns (past the last whole 32, in row order, one row after the other). A
/// matrix-vector product over four rows thus reads one sequential stream: four streams 4 KiB apart measured
/// 30% slower from memory than one. A last group of fewer rows is laid out the same way with that many.</para>
/// <para>The F16 conversion (<see cref="F16Pairs"/>) is exact for finite halves only, so an F16 matrix holding an
/// infinity or a NaN is not copied (<see cref="TryPack"/> returns null) and keeps the exact row-order path.
/// Built only where the machine has AVX-512; the kernels use it on the 512-bit path.</para>
/// </summary>
internal sealed unsafe class HalfPairRows : IDisposable
{
    public const int GroupRows = 4;

    readonly long _bytes;
    byte* _data;

    /// <summary>F16 or BF16.</summary>
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>Whole groups of 32 columns per row (stored in pair order).</summary>
    public int PairGroups { get; }
    /// <summary>Columns per row past the last whole 32 (stored in row order).</summary>
    public int TailColumns { get; }
    long GroupBytes => 2L * Columns * GroupRows;

    HalfPairRows(GgmlType type, int rows, int columns)
    {
        Type = type;
        Rows = rows;
        Columns = columns;
        PairGroups = columns / 32;
        TailColumns = columns - 32 * PairGroups;
        _bytes = 2L * columns * rows;
        _data = StreamingMemory.Allocate(_bytes);
        GC.AddMemoryPressure(Math.Max(_bytes, 64));
    }

    /// <summary>Rows in the group of four that holds <paramref name="row"/> (fewer in the last group).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int RowsInGroup(int row) => Math.Min(GroupRows, Rows - (row & ~(GroupRows - 1)));

    /// <summary>Bytes from one 32-column group of a row to its next: 64 per row of its group of four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long PairStride(int row) => 64L * RowsInGroup(row);

    /// <summary>The first 32-column group (64 bytes, pair order) of <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Pairs(int row) => _data + (row / GroupRows) * GroupBytes + 64L * (row % GroupRows);

    /// <summary>The columns of <paramref name="row"/> past the last whole 32, in row order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Tail(int row) =>
        _data + (row / GroupRows) * GroupBytes + PairGroups * PairStride(row) + 2L * TailColumns * (row % GroupRows);

    /// <summary>2^112: an f16's exponent and mantissa moved into a float's bits read 2^-112 times its value (the
    /// float exponent bias is 112 larger); multiplying by this rebiases it exactly, subnormals included.</summary>
    public const float Rebias = 5.192296858534828e+33f;

    public static bool CanPack => Avx512BW.IsSupported && Avx512F.IsSupported && Avx512DQ.IsSupported;

    public static bool Supports(GgmlType type) => type is GgmlType.F16 or GgmlType.BF16;

    /// <summary>The pair-order copy of <paramref name="rows"/> rows of F16 or BF16 at <paramref name="source"/>, or
    /// null when the machine has no AVX-512 or an F16 value is an infinity or a NaN. Large matrices on several
    /// threads.</summary>
    public static HalfPairRows? TryPack(GgmlType type, int rows, int columns, byte* source, long rowBytes)
    {
        if (!Supports(type)) throw new NotSupportedException($"{type} weights are not stored in pair order");
        if (!CanPack || rows == 0) return null;
        var pairs = new HalfPairRows(type, rows, columns);
        const int rowsPerTask = 64; // a multiple of GroupRows
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

    /// <summary>Copies rows [<paramref name="from"/>, <paramref name="to"/>) (whole groups of four, but the
    /// last); false if an F16 row holds an infinity or a NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    bool PackRows(int from, int to, byte* source, long sourceRowBytes)
    {
        // Word j of a group takes halves j and 16 + j.
        var order = Vector512.Create((ushort)0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        // F16 infinities and NaNs have all exponent bits set; BF16 values are all converted exactly (no test).
        ushort exponentBits = Type == GgmlType.F16 ? (ushort)0x7C00 : (ushort)0;
        var exponent = Vector512.Create(exponentBits);
        var nonFinite = Vector512<ushort>.Zero;
        for (int r = from; r < to; r++)
        {
            ushort* s = (ushort*)(source + r * sourceRowBytes);
            byte* pairs = Pairs(r);
            long stride = PairStride(r);
            for (int g = 0; g < PairGroups; g++)
            {
                var halves = Vector512.Load(s + 32 * g);
                if (exponentBits != 0) nonFinite |= Vector512.Equals(halves & exponent, exponent);
                Avx512BW.PermuteVar32x16(halves, order).Store((ushort*)(pairs + g * stride));
            }
            ushort* tail = (ushort*)Tail(r);
            for (int i = 0; i < TailColumns; i++)
            {
                ushort h = s[32 * PairGroups + i];
                if (exponentBits != 0 && (h & exponentBits) == exponentBits) nonFinite = Vector512<ushort>.AllBitsSet;
                tail[i] = h;
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
