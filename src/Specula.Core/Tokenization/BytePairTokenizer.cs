using System.Runtime.InteropServices;
using System.Text;
using Specula.Gguf;

namespace Specula.Tokenization;

/// <summary>
/// Byte-level BPE as llama.cpp runs it (<c>llm_tokenizer_bpe</c>): the pre-tokenizer splits each text fragment into
/// words; each word starts as one symbol per byte and adjacent symbols are merged lowest merge rank first (leftmost
/// on ties) while a merge exists; a final symbol that is not a token falls back to its single-byte tokens.
/// Works on raw bytes: vocabulary and merges are decoded from GPT-2's byte alphabet once, at load.
/// </summary>
sealed class BytePairTokenizer : Tokenizer
{
    readonly BpePreTokenizerSettings _settings;
    readonly PreTokenizer _preTokenizer;
    /// <summary>Raw byte strings to symbol ids: a token's id when the string is a token, otherwise an id at or above
    /// the vocabulary size for strings that only occur inside merges.</summary>
    readonly ByteSequenceMap _symbols;
    readonly MergeTable _merges;
    readonly int[] _byteSymbols = new int[256];

    BytePairTokenizer(TokenVocabulary vocabulary, PieceTable pieces, BpePreTokenizerSettings settings,
                      ByteSequenceMap symbols, MergeTable merges)
        : base(vocabulary, pieces, settings.CleanSpaces, "gpt2", settings.Name)
    {
        _settings = settings;
        _preTokenizer = new PreTokenizer(settings.Rules);
        _symbols = symbols;
        _merges = merges;
        Span<byte> single = stackalloc byte[1];
        for (int b = 0; b < 256; b++)
        {
            single[0] = (byte)b;
            _byteSymbols[b] = symbols.GetOrAdd(single, symbols.Count + vocabulary.Count);
        }
    }

    public static BytePairTokenizer Create(GgufReader gguf)
    {
        var settings = BpePreTokenizerSettings.For(gguf.GetString("tokenizer.ggml.pre"));
        // llama.cpp's defaults for BPE: BOS and EOS id 11 (dropped when the vocabulary is smaller), no UNK.
        var vocabulary = new TokenVocabulary(gguf, new VocabularyDefaults(
            Bos: settings.HasNoBos ? TokenVocabulary.NoToken : 11, Eos: 11, Unknown: TokenVocabulary.NoToken,
            AddBos: settings.AddBosByDefault, AddEos: false, AddSpacePrefix: false));
        string[] merges = gguf.GetStringArray("tokenizer.ggml.merges")
            ?? throw new InvalidDataException("GGUF metadata 'tokenizer.ggml.merges' is missing: a 'gpt2' tokenizer needs its BPE merges");

        var symbols = BuildSymbols(vocabulary, merges.Length);
        var mergeTable = BuildMerges(vocabulary, symbols, merges);
        var pieces = PieceTable.Build(vocabulary.Count, (id, output) => WritePiece(vocabulary, id, output));
        return new BytePairTokenizer(vocabulary, pieces, settings, symbols, mergeTable);
    }

    static ByteSequenceMap BuildSymbols(TokenVocabulary vocabulary, int mergeCount)
    {
        var symbols = new ByteSequenceMap(vocabulary.Count + mergeCount / 8 + 256, vocabulary.Count * 8);
        var raw = new byte[256];
        for (int id = 0; id < vocabulary.Count; id++)
        {
            string text = vocabulary.Texts[id];
            if (text.Length > raw.Length) raw = new byte[text.Length];
            // Tokens spelled outside the byte alphabet can never be the result of merging input bytes.
            if (!ByteLevelAlphabet.TryDecode(text, raw)) continue;
            symbols.Set(raw.AsSpan(0, text.Length), id);
        }
        return symbols;
    }

    static MergeTable BuildMerges(TokenVocabulary vocabulary, ByteSequenceMap symbols, string[] merges)
    {
        var table = new MergeTable(merges.Length);
        var buffer = new byte[512];
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string merge = merges[rank];
            // "left right", split at the first space after the first character (a part may itself be a space).
            int split = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (split < 0) continue;
            var left = merge.AsSpan(0, split);
            var right = merge.AsSpan(split + 1);
            if (left.Length + right.Length > buffer.Length) buffer = new byte[left.Length + right.Length];
            if (!ByteLevelAlphabet.TryDecode(left, buffer) || !ByteLevelAlphabet.TryDecode(right, buffer.AsSpan(left.Length)))
                continue; // a part outside the byte alphabet never matches input
            var both = buffer.AsSpan(0, left.Length + right.Length);
            int leftSymbol = symbols.GetOrAdd(both[..left.Length], symbols.Count + vocabulary.Count);
            int rightSymbol = symbols.GetOrAdd(both[left.Length..], symbols.Count + vocabulary.Count);
            int result = symbols.GetOrAdd(both, symbols.Count + vocabulary.Count);
            table.TryAdd(leftSymbol, rightSymbol, rank, result); // the first rank of a pair wins
        }
        return table;
    }

    /// <summary>BPE token_to_piece: special and user-defined tokens verbatim, normal tokens decoded from the byte
    /// alphabet (a character outside it becomes llama.cpp's "[UNK_BYTE_0x..]" marker), byte tokens as their byte.</summary>
    static void WritePiece(TokenVocabulary vocabulary, int id, List<byte> output)
    {
        var attributes = vocabulary.Attributes[id];
        if ((attributes & (TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined)) != 0)
        {
            foreach (byte b in vocabulary.TextBytes(id)) output.Add(b);
        }
        else if ((attributes & TokenAttributes.Normal) != 0)
        {
            string text = vocabulary.Texts[id];
            Span<byte> utf8 = stackalloc byte[4];
            foreach (var rune in text.EnumerateRunes())
            {
                int b = ByteLevelAlphabet.ByteFor(rune.Value);
                if (b >= 0) { output.Add((byte)b); continue; }
                output.AddRange(Encoding.UTF8.GetBytes("[UNK_BYTE_0x"));
                int n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) output.AddRange(Encoding.ASCII.GetBytes(utf8[i].ToString("x2")));
                output.AddRange(Encoding.UTF8.GetBytes(text + "]"));
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
        foreach (var fragment in fragments)
        {
            if (fragment.IsToken) output.Add(fragment.TokenId);
            else session.Tokenize(text.Slice(fragment.Start, fragment.Length), output);
        }
        if (addSpecial && Vocabulary.AddEos) output.Add(Vocabulary.Eos);
    }

    struct Symbol
    {
        public int Start, Length, Previous, Next, Id;
    }

    readonly record struct Bigram(int Left, int Right, int LeftId, int RightId, int Result);

    /// <summary>Lowest rank first; on equal ranks the leftmost pair.</summary>
    readonly record struct BigramPriority(int Rank, int Left) : IComparable<BigramPriority>
    {
        public int CompareTo(BigramPriority other)
        {
            int byRank = Rank.CompareTo(other.Rank);
            return byRank != 0 ? byRank : Left.CompareTo(other.Left);
        }
    }

    /// <summary>Working buffers for one Encode call, reused across its words.</summary>
    sealed class Session(BytePairTokenizer owner)
    {
        readonly PreTokenizer.Workspace _workspace = new();
        readonly List<int> _wordEnds = new();
        Symbol[] _symbols = new Symbol[64];
        readonly PriorityQueue<Bigram, BigramPriority> _queue = new();

        public void Tokenize(ReadOnlySpan<byte> fragment, List<int> output)
        {
            owner._preTokenizer.Split(fragment, _workspace, _wordEnds);
            int start = 0;
            foreach (int end in _wordEnds)
            {
                TokenizeWord(fragment[start..end], output);
                start = end;
            }
        }

        void TokenizeWord(ReadOnlySpan<byte> word, List<int> output)
        {
            int vocabSize = owner.Vocabulary.Count;
            if (owner._settings.IgnoreMerges && owner._symbols.TryGetValue(word, out int whole) && whole < vocabSize)
            {
                output.Add(whole);
                return;
            }

            int count = word.Length;
            if (_symbols.Length < count) _symbols = new Symbol[Math.Max(count, _symbols.Length * 2)];
            for (int i = 0; i < count; i++)
                _symbols[i] = new Symbol { Start = i, Length = 1, Previous = i - 1, Next = i + 1 < count ? i + 1 : -1, Id = owner._byteSymbols[word[i]] };

            _queue.Clear();
            for (int i = 1; i < count; i++) TryAddBigram(i - 1, i);

            while (_queue.TryDequeue(out var bigram, out _))
            {
                ref var left = ref _symbols[bigram.Left];
                ref var right = ref _symbols[bigram.Right];
                // Stale: a side was merged away or changed since the pair was queued.
                if (left.Length == 0 || right.Length == 0 || left.Id != bigram.LeftId || right.Id != bigram.RightId) continue;

                left.Id = bigram.Result;
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
                if (symbol.Id < vocabSize)
                {
                    output.Add(symbol.Id);
                    continue;
                }
                // Not a token: its bytes one by one, skipping bytes the vocabulary cannot spell.
                for (int b = symbol.Start; b < symbol.Start + symbol.Length; b++)
                {
                    int byteToken = owner._byteSymbols[word[b]];
                    if (byteToken < vocabSize) output.Add(byteToken);
                }
            }
        }

        void TryAddBigram(int left, int right)
        {
            if (left < 0 || right < 0) return;
            int leftId = _symbols[left].Id, rightId = _symbols[right].Id;
            if (!owner._merges.TryGet(leftId, rightId, out int rank, out int result)) return;
            _queue.Enqueue(new Bigram(left, right, leftId, rightId, result), new BigramPriority(rank, left));
        }
    }
}
