using System.CommandLine;
using Specula.Kernels;

namespace Specula.Cli.Commands;

/// <summary><c>--threads N</c> (<c>-t</c>): how many threads the process-wide compute pool has (llama.cpp's
/// <c>-t</c>); the default is the processor count.</summary>
public static class ThreadsOption
{
    public static Option<int> Create() => new("--threads", "-t")
    {
        Description = "Compute threads (default: processor count)", DefaultValueFactory = _ => ComputePool.DefaultThreadCount,
    };

    /// <summary>The thread count, checked; a clear error when it is out of range.</summary>
    public static int Validate(int threads) => threads is >= 1 and <= 1024
        ? threads
        : throw new CliException($"--threads must be between 1 and 1024, got {threads}");

    /// <summary>Sizes the shared compute pool (kept when it already has that many threads). Call it before a
    /// model runner is created: runners size their per-thread scratch from the pool.</summary>
    public static void Apply(int threads)
    {
        Validate(threads);
        if (threads != ComputePool.Shared.ThreadCount) ComputePool.ConfigureShared(threads);
    }
}
