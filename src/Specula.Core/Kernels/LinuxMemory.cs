using System.Runtime.InteropServices;

namespace Specula.Kernels;

/// <summary>The one Linux memory call the engine makes: <c>madvise</c>, to put large weight buffers on
/// transparent huge pages and to drop the mapped pages of weights that were repacked (callers check
/// <see cref="OperatingSystem.IsLinux"/> or macOS first).</summary>
internal static unsafe partial class LinuxMemory
{
    public const int DontNeedAdvice = 4;  // MADV_DONTNEED (same value on macOS)
    public const int HugePageAdvice = 14; // MADV_HUGEPAGE

    [LibraryImport("libc", SetLastError = false)]
    internal static partial int madvise(void* address, nuint length, int advice);
}
