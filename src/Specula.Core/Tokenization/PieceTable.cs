namespace Specula.Tokenization;

/// <summary>
/// The bytes each token stands for when detokenized (llama.cpp's <c>token_to_piece</c> with special tokens shown),
/// computed once at load and kept in one blob.
/// </summary>
sealed class PieceTable
{
    readonly byte[] _bytes;
    readonly int[] _start;

    PieceTable(byte[] bytes, int[] start)
    {
        _bytes = bytes;
        _start = start;
    }

    public ReadOnlySpan<byte> this[int id] => _bytes.AsSpan(_start[id], _start[id + 1] - _start[id]);

    /// <summary>Builds the table by asking <paramref name="writePiece"/> for each token's bytes in turn.</summary>
    public static PieceTable Build(int count, Action<int, List<byte>> writePiece)
    {
        var bytes = new List<byte>(count * 8);
        var start = new int[count + 1];
        for (int id = 0; id < count; id++)
        {
            start[id] = bytes.Count;
            writePiece(id, bytes);
        }
        start[count] = bytes.Count;
        return new PieceTable(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).ToArray(), start);
    }

    /// <summary>Parses a byte token's text, <c>&lt;0xNN&gt;</c>. Returns -1 when the text has another form.</summary>
    public static int ParseByteToken(string text)
    {
        if (text.Length != 6 || !text.StartsWith("<0x", StringComparison.Ordinal) || text[5] != '>') return -1;
        int high = HexValue(text[3]), low = HexValue(text[4]);
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }

    static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };
}
