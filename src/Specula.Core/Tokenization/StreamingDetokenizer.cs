using System.Text;

namespace Specula.Tokenization;

/// <summary>
/// Turns generated token ids into text as they arrive without ever emitting half a UTF-8 character: the bytes of a
/// character split across tokens (byte-fallback tokens, byte-level BPE pieces of an emoji) are held back until the
/// character is complete. Each token contributes its piece as <see cref="Tokenizer.TokenToPieceBytes"/> gives it
/// (no leading-space stripping or space clean-up, as llama.cpp's server streams). Bytes that can never form a
/// character are emitted as U+FFFD rather than held.
/// </summary>
public sealed class StreamingDetokenizer
{
    readonly Tokenizer _tokenizer;
    readonly bool _unparseSpecial;
    readonly byte[] _pending = new byte[8];
    int _pendingLength;
    readonly List<byte> _buffer = new();

    public StreamingDetokenizer(Tokenizer tokenizer, bool unparseSpecial)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _unparseSpecial = unparseSpecial;
    }

    /// <summary>Adds a token; returns the text completed by it (possibly empty).</summary>
    public string Push(int id)
    {
        var piece = _tokenizer.TokenPiece(id, _unparseSpecial);
        if (piece.IsEmpty) return "";
        _buffer.Clear();
        for (int i = 0; i < _pendingLength; i++) _buffer.Add(_pending[i]);
        foreach (byte b in piece) _buffer.Add(b);

        var bytes = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_buffer);
        int complete = bytes.Length - IncompleteTailLength(bytes);
        _pendingLength = bytes.Length - complete;
        bytes[complete..].CopyTo(_pending);
        return complete == 0 ? "" : Encoding.UTF8.GetString(bytes[..complete]);
    }

    /// <summary>Returns whatever is held back (an unfinished character becomes U+FFFD) and resets.</summary>
    public string Flush()
    {
        if (_pendingLength == 0) return "";
        string text = Encoding.UTF8.GetString(_pending, 0, _pendingLength);
        _pendingLength = 0;
        return text;
    }

    /// <summary>How many bytes at the end are the start of a multi-byte character still missing continuation bytes.</summary>
    static int IncompleteTailLength(ReadOnlySpan<byte> bytes)
    {
        Span<char> scratch = stackalloc char[4];
        // A UTF-8 character is at most 4 bytes, so only the last 3 can be an unfinished one.
        for (int back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 1;
            if (needed <= back) return 0; // complete (or not a lead byte at all)
            // Valid so far? Decoding the partial sequence reports NeedMoreData only for a genuine prefix.
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes[^back..], scratch, out _, out _, replaceInvalidSequences: false, isFinalBlock: false);
            return status == System.Buffers.OperationStatus.NeedMoreData ? back : 0;
        }
        return 0;
    }
}
