using Specula.Gguf;
using Specula.Kernels;
using Specula.Tensors;

namespace Specula.Models;

/// <summary>Reads model tensors out of a GGUF file with shape and type checks whose errors name the tensor.</summary>
static unsafe class TensorData
{
    /// <summary>A [rows x columns] weight matrix, read in place from the mapping, or from a repacked copy
    /// whose mapped original is then released (it is not read again by the kernels).</summary>
    public static WeightMatrix Matrix(GgufReader gguf, string name, int columns, int rows)
    {
        var info = gguf.GetTensor(name);
        if (info.Dimensions.Length != 2 || info.Dimensions[0] != columns || info.Dimensions[1] != rows)
            throw new InvalidDataException($"tensor '{name}' has shape {info.ShapeText}, expected [{columns}, {rows}]");
        if (!VecDotType.IsSupported(info.Type))
            throw new NotSupportedException($"tensor '{name}' has type {info.Type}, which the matrix kernels do not support");
        var matrix = new WeightMatrix(name, info.Type, rows, columns, gguf.GetTensorPointer(info));
        if (matrix.IsRepacked) gguf.ReleaseTensorPages(info);
        return matrix;
    }

    public static WeightMatrix? OptionalMatrix(GgufReader gguf, string name, int columns, int rows) =>
        gguf.TryGetTensor(name, out _) ? Matrix(gguf, name, columns, rows) : null;

    /// <summary>A 1-D tensor (norm weight, bias, frequency factors) copied out as float.</summary>
    public static float[] Vector(GgufReader gguf, string name, int length)
    {
        var info = gguf.GetTensor(name);
        if (info.ElementCount != length || info.RowLength != length)
            throw new InvalidDataException($"tensor '{name}' has shape {info.ShapeText}, expected [{length}]");
        var values = new float[length];
        ToFloat(info, gguf.GetTensorBytes(info), values);
        return values;
    }

    public static float[]? OptionalVector(GgufReader gguf, string name, int length) =>
        gguf.TryGetTensor(name, out _) ? Vector(gguf, name, length) : null;

    /// <summary>Converts one row of a tensor to float.</summary>
    public static void ToFloat(GgufTensorInfo info, ReadOnlySpan<byte> row, Span<float> destination)
    {
        if (!Dequantize.IsSupported(info.Type))
            throw new NotSupportedException($"tensor '{info.Name}' has type {info.Type}, which cannot be converted to float");
        Dequantize.Row(info.Type, row, destination);
    }
}
