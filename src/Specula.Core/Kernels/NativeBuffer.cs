using System.Runtime.InteropServices;

namespace Specula.Kernels;

/// <summary>A 64-byte aligned native scratch buffer that only grows, so kernels that reuse it allocate
/// nothing after warm-up.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public byte* Pointer { get; private set; }
    public long Capacity { get; private set; }

    public byte* Ensure(long bytes)
    {
        if (bytes <= Capacity) return Pointer;
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
        long size = Math.Max(bytes, Capacity * 3 / 2);
        size = (size + 63) & ~63L;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)size, 64);
        NativeMemory.Clear(Pointer, (nuint)size);
        Capacity = size;
        return Pointer;
    }

    public void Dispose()
    {
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
        Pointer = null;
        Capacity = 0;
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer()
    {
        if (Pointer != null) NativeMemory.AlignedFree(Pointer);
    }
}
