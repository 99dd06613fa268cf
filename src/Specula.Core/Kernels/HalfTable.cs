using System.Runtime.InteropServices;

namespace Specula.Kernels;

/// <summary>All 65536 f16 values as f32 (256 KiB, as ggml keeps one): the block scales of the quantized
/// types are converted with one load instead of a branchy conversion in the inner loops.</summary>
internal static unsafe class HalfTable
{
    public static readonly float* Values = Build();

    static float* Build()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (int i = 0; i < 65536; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }
}
