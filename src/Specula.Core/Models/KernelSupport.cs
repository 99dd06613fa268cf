using System.Collections.Concurrent;
using Specula.Kernels;
using Specula.Tensors;

namespace Specula.Models;

/// <summary>
/// Answers "can the matrix kernels multiply a weight of this type?" at load time, so an unsupported file
/// fails with one message naming the tensor instead of deep inside the first forward pass. It asks the
/// kernels themselves: one product of a zero-filled single-row matrix, remembered per type.
/// </summary>
static unsafe class KernelSupport
{
    static readonly ConcurrentDictionary<GgmlType, bool> Known = new();

    public static void EnsureMatrixSupported(string tensorName, GgmlType type)
    {
        if (!Known.GetOrAdd(type, Probe))
            throw new NotSupportedException($"tensor '{tensorName}' has type {type}, which the matrix kernels do not support");
    }

    static bool Probe(GgmlType type)
    {
        if (!GgmlTypeInfo.TryGet(type, out var info)) return false;
        // The smallest legal row: one block (at least 256 elements so every K-quant fits).
        int columns = Math.Max(info.BlockSize, 256) / info.BlockSize * info.BlockSize;
        var bytes = new byte[info.RowBytes(columns)];
        var x = new float[columns];
        var y = new float[1];
        fixed (byte* data = bytes)
        {
            try
            {
                MatMul.Multiply(new WeightMatrix("probe", type, 1, columns, data), x, 1, y);
                return true;
            }
            catch (NotSupportedException)
            {
                return false;
            }
        }
    }
}
