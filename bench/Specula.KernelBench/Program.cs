using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Specula.Kernels;
using Specula.Tensors;

// specula-kernelbench [--types Q4_0,Q8_0,...] [--tokens 1,32] [--threads 1] [--layers 16] [--reps 15]
//                     [--shape ROWSxCOLUMNS] [--dim 2048 --ffn 5632 --kv 256]
// Multiplies layer-shaped random (valid) weight matrices, one matrix after another as a forward pass does,
// and reports per pass: weight GB/s, GFLOP/s and tokens/s (median and best of the repetitions). With one
// thread the time is the thread's CPU time (robust on a shared machine); with more, wall time.
var options = BenchOptions.Parse(args);
var c = CultureInfo.InvariantCulture;
using var pool = new ComputePool(options.Threads);
if (options.Bandwidth)
{
    var rates = MemoryBandwidth.MeasureByPattern(pool);
    Console.WriteLine(string.Create(c, $"read bandwidth, {options.Threads} thread(s): {rates.Max() / 1e9:F1} GB/s (one stream {rates[0] / 1e9:F1}, four streams {rates[1] / 1e9:F1}, prefetched {rates[2] / 1e9:F1})"));
}
Console.WriteLine(string.Create(c, $"{options.Threads} thread(s), vector width {KernelOptions.EffectiveVectorWidth}, {options.Reps} reps, {(options.Threads == 1 ? "thread CPU time" : "wall time")}"));
Console.WriteLine(string.Create(c, $"{"type",-6} {"tokens",6} {"MB",8} {"GB/s med",9} {"GB/s best",9} {"GFLOP/s",8} {"tok/s",8}"));
foreach (var type in options.Types)
{
    var shapes = options.Shapes();
    var matrices = new List<RandomMatrix>();
    double setupSeconds = 0;
    for (int layer = 0; layer < options.Layers; layer++)
        foreach (var (rows, columns) in shapes)
        {
            var m = new RandomMatrix(type, rows, columns, seed: matrices.Count + 1);
            matrices.Add(m);
            setupSeconds += m.ConstructionSeconds;
        }
    if (Environment.GetEnvironmentVariable("KB_DEBUG") == "1")
        Console.WriteLine(string.Create(c, $"{type}: WeightMatrix construction {setupSeconds:F3} s"));
    long bytes = 0, macs = 0;
    int maxColumns = 0, maxRows = 0;
    foreach (var m in matrices)
    {
        bytes += m.Matrix.RowBytes * m.Matrix.Rows;
        macs += (long)m.Matrix.Rows * m.Matrix.Columns;
        maxColumns = Math.Max(maxColumns, m.Matrix.Columns);
        maxRows = Math.Max(maxRows, m.Matrix.Rows);
    }
    foreach (int tokens in options.Tokens)
    {
        var x = new float[tokens * maxColumns];
        var random = new Random(7);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        var y = new float[tokens * maxRows];
        void Pass()
        {
            foreach (var m in matrices) MatMul.Multiply(m.Matrix, x, tokens, y, pool);
        }
        // Warm up past tiered compilation (tier-0 vector code is many times slower): at least a second.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 3 || warm.Elapsed.TotalSeconds < 1.0; i++) Pass();
        var seconds = new List<double>();
        for (int rep = 0; rep < options.Reps; rep++)
        {
            double cpu0 = ThreadCpu.Seconds();
            long start = Stopwatch.GetTimestamp();
            Pass();
            double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
            double cpu = ThreadCpu.Seconds() - cpu0;
            seconds.Add(options.Threads == 1 && Environment.GetEnvironmentVariable("KB_WALL") != "1" ? cpu : wall);
        }
        seconds.Sort();
        double median = seconds[seconds.Count / 2], best = seconds[0];
        if (Environment.GetEnvironmentVariable("KB_DEBUG") == "1") Console.WriteLine(string.Join(" ", seconds.Where((_, i) => i % Math.Max(1, seconds.Count / 10) == 0).Select(s => (s * 1e6).ToString("F0"))));
        Console.WriteLine(string.Create(c,
            $"{type,-6} {tokens,6} {bytes / 1e6,8:F1} {bytes / median / 1e9,9:F2} {bytes / best / 1e9,9:F2} {2.0 * macs * tokens / median / 1e9,8:F1} {tokens / median,8:F1}"));
    }
    foreach (var m in matrices) m.Dispose();
}

static class ThreadCpu
{
    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out TimeSpec time);

    const int ThreadCpuClock = 3;

    public static double Seconds() =>
        ClockGetTime(ThreadCpuClock, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
}

/// <summary>Random bytes with every block's scales set to small finite halves.</summary>
sealed unsafe class RandomMatrix : IDisposable
{
    readonly byte* _data;
    public WeightMatrix Matrix { get; }

    public RandomMatrix(GgmlType type, int rows, int columns, int seed)
    {
        var info = GgmlTypeInfo.Get(type);
        long total = info.RowBytes(columns) * rows;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)total, 64);
        var random = new Random(seed);
        var span = new Span<byte>(_data, checked((int)total));
        random.NextBytes(span);
        for (long offset = 0; offset < total; offset += info.BytesPerBlock)
            FixBlock(type, span.Slice((int)offset, info.BytesPerBlock), random);
        long start = Stopwatch.GetTimestamp();
        Matrix = new WeightMatrix($"bench.{type}", type, rows, columns, _data);
        ConstructionSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>Time the WeightMatrix constructor took (row tiling of Q4_0 / Q8_0).</summary>
    public double ConstructionSeconds { get; }

    static void Half(Span<byte> at, float value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(at, BitConverter.HalfToUInt16Bits((Half)value));

    static void FixBlock(GgmlType type, Span<byte> block, Random random)
    {
        float s = (float)(random.NextDouble() * 0.05 + 0.001);
        switch (type)
        {
            case GgmlType.F32: BinaryPrimitives.WriteSingleLittleEndian(block, (float)(random.NextDouble() - 0.5)); break;
            case GgmlType.F16: Half(block, (float)(random.NextDouble() - 0.5)); break;
            case GgmlType.BF16: BinaryPrimitives.WriteUInt16LittleEndian(block, (ushort)(BitConverter.SingleToUInt32Bits((float)(random.NextDouble() - 0.5)) >> 16)); break;
            case GgmlType.Q4_0 or GgmlType.Q5_0 or GgmlType.Q8_0: Half(block, s); break;
            case GgmlType.Q4_1 or GgmlType.Q5_1: Half(block, s); Half(block[2..], -s); break;
            case GgmlType.Q2_K: Half(block[80..], s); Half(block[82..], s); break;
            case GgmlType.Q3_K: Half(block[108..], s); break;
            case GgmlType.Q4_K or GgmlType.Q5_K: Half(block, s / 8); Half(block[2..], s / 8); break;
            case GgmlType.Q6_K: Half(block[208..], s / 8); break;
        }
    }

    public void Dispose() => NativeMemory.AlignedFree(_data);
}

sealed record BenchOptions(List<GgmlType> Types, List<int> Tokens, int Threads, int Layers, int Reps,
    (int Rows, int Columns)? Shape, int Dim, int Ffn, int Kv, bool Bandwidth)
{
    public List<(int Rows, int Columns)> Shapes() => Shape is { } s
        ? [s]
        : [(Dim, Dim), (Kv, Dim), (Kv, Dim), (Dim, Dim), (Ffn, Dim), (Ffn, Dim), (Dim, Ffn)];

    public static BenchOptions Parse(string[] args)
    {
        var types = new List<GgmlType> { GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F16 };
        var tokens = new List<int> { 1 };
        int threads = 1, layers = 16, reps = 15, dim = 2048, ffn = 5632, kv = 256;
        bool bandwidth = false;
        (int, int)? shape = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--types": types = Next().Split(',').Select(Enum.Parse<GgmlType>).ToList(); break;
                case "--tokens": tokens = Next().Split(',').Select(int.Parse).ToList(); break;
                case "--threads": threads = int.Parse(Next()); break;
                case "--layers": layers = int.Parse(Next()); break;
                case "--reps": reps = int.Parse(Next()); break;
                case "--dim": dim = int.Parse(Next()); break;
                case "--ffn": ffn = int.Parse(Next()); break;
                case "--kv": kv = int.Parse(Next()); break;
                case "--bandwidth": bandwidth = true; break;
                case "--shape":
                    var parts = Next().Split('x');
                    shape = (int.Parse(parts[0]), int.Parse(parts[1]));
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        return new BenchOptions(types, tokens, threads, layers, reps, shape, dim, ffn, kv, bandwidth);
    }
}
