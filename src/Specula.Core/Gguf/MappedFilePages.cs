using Specula.Kernels;

namespace Specula.Gguf;

/// <summary>
/// Drops pages of a read-only file mapping from the process once their bytes have been copied elsewhere
/// (weights repacked into row tiles at load). Without it the packed copy and the mapped original both stay
/// resident, nearly doubling the memory of a quantized model. The file is mapped shared and read-only, so
/// the pages are simply unmapped: a later read faults them back in from the page cache, unchanged.
/// </summary>
internal static unsafe class MappedFilePages
{
    /// <summary>Releases the whole pages inside [<paramref name="start"/>, start + <paramref name="length"/>)
    /// (pages shared with a neighbouring tensor are kept). Returns whether anything was released; does nothing
    /// where the platform has no such call.</summary>
    public static bool Release(byte* start, long length)
    {
        if (length <= 0 || !(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())) return false;
        long page = Environment.SystemPageSize;
        long first = ((long)start + page - 1) & ~(page - 1);
        long end = ((long)start + length) & ~(page - 1);
        if (end <= first) return false;
        return LinuxMemory.madvise((void*)first, (nuint)(end - first), LinuxMemory.DontNeedAdvice) == 0;
    }
}
