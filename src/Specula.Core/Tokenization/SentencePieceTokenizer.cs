using Specula.Gguf;

namespace Specula.Tokenization;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it (<c>llm_tokenizer_spm</c>): spaces become '▁', a '▁' is prefixed to the
/// first text fragment and to every fragment that follows a special token, the text starts as one symbol per UTF-8
/// character, and adjacent symbols whose concatenation is a token are merged highest score first (leftmost on ties).
/// Symbols that are not tokens fall back to byte tokens <c>&lt;0xNN&gt;</c>.
/// </summary>
sealed class SentencePieceTokenizer : Tokenizer
{
    static readonly byte[] EscapedSpace = [0xE2, 0x96, 0x81]; // U+2581 '▁'

    readonly ByteSequenceMap _tokens;
    readonly int[] _byteTokens; // byte value -> token id, -1 when the vocabulary lacks it

    SentencePieceTokenizer(TokenVocabulary vocabulary, PieceTable pieces)
        : base(vocabulary, pieces, cleanSpaces: false, "llama", null)
    {
        _tokens = vocabulary.TextMap;
        _byteTokens = new int[256];
        Span<byte> single = stackalloc byte[1];
        for (int b = 0; b < 256; b++)
        {
            // "<0xNN>" first, then the byte as a one-byte text.
            if (!_tokens.TryGetValue(System.Text.Encoding.ASCII.GetBytes($"<0x{b:X2}>"), out int id))
            {
                single[0] = (byte)b;
                if (!_tokens.TryGetValue(single, out id)) id = -1;
            }
            _byteTokens[b] = id;
        }
    }

    public static SentencePieceTokenizer Create(GgufReader gguf)
    {
        var vocabulary = new TokenVocabulary(gguf, new VocabularyDefaults(
            Bos: 1, Eos: 2, Unknown: 0, AddBos: true, AddEos: false, AddSpacePrefix: true));
        var pieces = PieceTable.Build(vocabulary.Count, (id, output) => WritePiece(vocabulary, id, output));
        return new SentencePieceTokenizer(vocabulary, pieces);
    }

    /// <summary>SentencePiece's token_to_piece: special and user-defined tokens verbatim, normal tokens with '▁' as
    /// space, byte tokens as their byte; unused and undefined tokens show nothing.</summary>
    static void WritePiece(TokenVocabulary vocabulary, int id, List<byte> output)
    {
        var attributes = vocabulary.Attributes[id];
        var text = vocabulary.TextBytes(id);
        if ((attributes & (TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined)) != 0)
        {
            foreach (byte b in text) output.Add(b);
        }
        else if ((attributes & TokenAttributes.Normal) != 0)
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (i + 2 < text.Length && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81)
                {
                    output.Add((byte)' ');
                    i += 2;
                }
                else output.Add(text[i]);
            }
        }
        else if ((attributes & TokenAttributes.Byte) != 0)
        {
            int value = PieceTable.ParseByteToken(vocabulary.Texts[id]);
            if (value >= 0) output.Add((byte)value);
        }
    }

    private protected override void EncodeFragments(ReadOnlySpan<byte> text, List<TextFragment> fragments, bool addSpecial, List<int> output)
    {
        if (addSpecial && Vocabulary.AddBos) output.Add(Vocabulary.Bos);

        var session = new Session(this);
        bool previousWasSpecial = true; // the first fragment gets the dummy-prefix space too
        foreach (var fragment in fragments)
        {
            if (fragment.IsToken)
            {
                output.Add(fragment.TokenId);
                previousWasSpecial = true;
                continue;
            }
            session.Tokenize(text.Slice(fragment.Start, fragment.Length), Vocabulary.AddSpacePrefix && previousWasSpecial, output);
            previousWasSpecial = false;
        }

        if (addSpecial && Vocabulary.AddEos) output.Add(Vocabulary.Eos);
    }

    struct Symbol
    {
        public int Start, Length, Previous, Next;
    }

    readonly record struct Bigram(int Left, int Right, int Size);

    /// <summary>Highest score first; on equal scores the leftmost pair.</summary>
    readonly record struct BigramPriority(float Score, int Left) : IComparable<BigramPriority>
    {
        public int CompareTo(BigramPriority other)
        {
            int byScore = other.Score.CompareTo(Score);
            return byScore != 0 ? byScore : Left.CompareTo(other.Left);
        }
    }

    /// <summary>Working buffers for one Encode call, reused across its fragments.</summary>
    sealed class Session(SentencePieceTokenizer owner)
    {
        byte[] _text = new byte[64];
        Symbol[] _symbols = new Symbol[64];
        readonly PriorityQueue<Bigram, BigramPriority> _queue = new();

        public void Tokenize(ReadOnlySpan<byte> raw, bool prefixSpace, List<int> output)
        {
            int length = Escape(raw, prefixSpace);
            var text = _text.AsSpan(0, length);

            // One symbol per UTF-8 character.
            int count = 0;
            for (int offset = 0; offset < length;)
            {
                int charLength = Math.Min(Utf8SequenceLength(text[offset]), length - offset);
                if (count == _symbols.Length) Array.Resize(ref _symbols, count * 2);
                _symbols[count] = new Symbol { Start = offset, Length = charLength, Previous = count - 1, Next = offset + charLength == length ? -1 : count + 1 };
                offset += charLength;
                count++;
            }
            if (count == 0) return;

            _queue.Clear();
            for (int i = 1; i < count; i++) TryAddBigram(i - 1, i);

            while (_queue.TryDequeue(out var bigram, out _))
            {
                ref var left = ref _symbols[bigram.Left];
                ref var right = ref _symbols[bigram.Right];
                // Stale: one side was merged away or grew since the pair was queued.
                if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;

                left.Length += right.Length;
                right.Length = 0;
                left.Next = right.Next;
                if (right.Next >= 0) _symbols[right.Next].Previous = bigram.Left;

                TryAddBigram(left.Previous, bigram.Left);
                TryAddBigram(bigram.Left, left.Next);
            }

            for (int i = 0; i != -1; i = _symbols[i].Next)
            {
                var symbol = _symbols[i];
                var piece = text.Slice(symbol.Start, symbol.Length);
                if (owner._tokens.TryGetValue(piece, out int id))
                {
                    output.Add(id);
                    continue;
                }
                foreach (byte b in piece)
                {
                    int byteToken = owner._byteTokens[b];
                    if (byteToken < 0)
                        throw new InvalidDataException($"the vocabulary has no byte token <0x{b:X2}> for text it cannot spell otherwise");
                    output.Add(byteToken);
                }
            }
        }

        void TryAddBigram(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int start = _symbols[left].Start;
            int size = _symbols[left].Length + _symbols[right].Length;
            if (!owner._tokens.TryGetValue(_text.AsSpan(start, size), out int id)) return;
            _queue.Enqueue(new Bigram(left, right, size), new BigramPriority(owner.Vocabulary.Scores[id], left));
        }

        /// <summary>Copies the fragment into the buffer with every space as '▁', after a '▁' when asked.</summary>
        int Escape(ReadOnlySpan<byte> raw, bool prefixSpace)
        {
            int spaces = prefixSpace ? 1 : 0;
            foreach (byte b in raw) if (b == ' ') spaces++;
            int length = raw.Length + (prefixSpace ? 1 : 0) + spaces * 2;
            if (_text.Length < length) _text = new byte[Math.Max(length, _text.Length * 2)];
            int at = 0;
            if (prefixSpace) { EscapedSpace.CopyTo(_text, 0); at = 3; }
            foreach (byte b in raw)
            {
                if (b == ' ') { EscapedSpace.CopyTo(_text, at); at += 3; }
                else _text[at++] = b;
            }
            return at;
        }
    }

    /// <summary>llama.cpp's unicode_len_utf8: the sequence length a lead byte announces (1 for stray continuation bytes).</summary>
    static int Utf8SequenceLength(byte lead) => (lead >> 4) switch
    {
        < 0xC => 1,
        0xC or 0xD => 2,
        0xE => 3,
        _ => 4,
    };
}
