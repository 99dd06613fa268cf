using Specula.Gguf;

namespace Specula.Models;

/// <summary>The token embedding table (token_embd.weight), read one row at a time from the mapping and
/// converted to float, whatever its storage type.</summary>
public sealed unsafe class TokenEmbedding
{
    readonly GgufTensorInfo _info;
    readonly byte* _data;
    readonly long _rowBytes;

    public int VocabularySize { get; }
    public int Dimension { get; }

    internal TokenEmbedding(GgufReader gguf, GgufTensorInfo info, int dimension, int vocabulary)
    {
        _info = info;
        _data = gguf.GetTensorPointer(info);
        _rowBytes = Tensors.GgmlTypeInfo.Get(info.Type).RowBytes(dimension);
        Dimension = dimension;
        VocabularySize = vocabulary;
        // Fail at load, not at the first token, when the storage type cannot be converted.
        Lookup(0, new float[dimension]);
    }

    /// <summary>Writes the embedding of <paramref name="token"/> to <paramref name="destination"/>.</summary>
    public void Lookup(int token, Span<float> destination)
    {
        if ((uint)token >= (uint)VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token id {token} is outside the vocabulary (0..{VocabularySize - 1})");
        var row = new ReadOnlySpan<byte>(_data + token * _rowBytes, checked((int)_rowBytes));
        TensorData.ToFloat(_info, row, destination[..Dimension]);
    }
}
