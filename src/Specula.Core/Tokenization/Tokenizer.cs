using System.Text;
using Specula.Gguf;

namespace Specula.Tokenization;

/// <summary>
/// A model's tokenizer, built from GGUF metadata, that reproduces llama.cpp's <c>llama_tokenize</c> and
/// <c>llama_detokenize</c>: SentencePiece (<c>tokenizer.ggml.model</c> = <c>llama</c>) and byte-level BPE
/// (<c>gpt2</c>, with the pre-tokenizer named by <c>tokenizer.ggml.pre</c>). Thread-safe: encoding and decoding keep
/// no shared mutable state.
/// </summary>
public abstract class Tokenizer
{
    private protected readonly TokenVocabulary Vocabulary;
    readonly PieceTable _pieces;
    readonly SpecialTokenSplitter _specialTokens;
    readonly bool _cleanSpaces;

    private protected Tokenizer(TokenVocabulary vocabulary, PieceTable pieces, bool cleanSpaces, string modelName, string? preTokenizerName)
    {
        Vocabulary = vocabulary;
        _pieces = pieces;
        _cleanSpaces = cleanSpaces;
        _specialTokens = new SpecialTokenSplitter(vocabulary);
        ModelName = modelName;
        PreTokenizerName = preTokenizerName;
    }

    /// <summary>Builds the tokenizer a GGUF file describes. Throws <see cref="InvalidDataException"/> for missing or
    /// malformed tokenizer metadata and <see cref="NotSupportedException"/> for tokenizer types not implemented here.</summary>
    public static Tokenizer FromGguf(GgufReader gguf)
    {
        ArgumentNullException.ThrowIfNull(gguf);
        string model = gguf.GetString("tokenizer.ggml.model")
            ?? throw new InvalidDataException("GGUF metadata 'tokenizer.ggml.model' is missing: the file has no tokenizer");
        return model switch
        {
            "llama" => SentencePieceTokenizer.Create(gguf),
            "gpt2" => BytePairTokenizer.Create(gguf),
            _ => throw new NotSupportedException($"tokenizer model '{model}' is not supported (supported: 'llama' SentencePiece, 'gpt2' byte-level BPE)"),
        };
    }

    /// <summary><c>tokenizer.ggml.model</c>: "llama" or "gpt2".</summary>
    public string ModelName { get; }
    /// <summary><c>tokenizer.ggml.pre</c> for BPE vocabularies ("default" when the file names none); null for SentencePiece.</summary>
    public string? PreTokenizerName { get; }

    public int VocabSize => Vocabulary.Count;
    public int? BosId => Optional(Vocabulary.Bos);
    public int? EosId => Optional(Vocabulary.Eos);
    public int? EotId => Optional(Vocabulary.Eot);
    public int? EomId => Optional(Vocabulary.Eom);
    public int? PadId => Optional(Vocabulary.Padding);
    public int? UnkId => Optional(Vocabulary.Unknown);
    public int? SepId => Optional(Vocabulary.Separator);
    /// <summary>Whether <see cref="Encode"/> with <c>addSpecial</c> puts BOS first.</summary>
    public bool AddBos => Vocabulary.AddBos;
    /// <summary>Whether <see cref="Encode"/> with <c>addSpecial</c> puts EOS last.</summary>
    public bool AddEos => Vocabulary.AddEos;

    /// <summary>Every id that ends generation: EOS, EOT, EOM, and the tokens llama.cpp recognises by text
    /// (<c>&lt;|im_end|&gt;</c>, <c>&lt;|eot_id|&gt;</c>, <c>&lt;|endoftext|&gt;</c>, <c>&lt;/s&gt;</c>, FIM pad/repo/separator, ...).</summary>
    public IReadOnlyList<int> EndOfGenerationIds => Vocabulary.EndOfGenerationIds;

    public bool IsEndOfGeneration(int id) => Vocabulary.IsEndOfGeneration(id);

    public TokenAttributes GetAttributes(int id) => Vocabulary.Attributes[CheckId(id)];

    public float GetScore(int id) => Vocabulary.Scores[CheckId(id)];

    /// <summary>The token's text as the vocabulary stores it (SentencePiece '▁' for spaces, GPT-2 byte alphabet).</summary>
    public string TokenText(int id) => Vocabulary.Texts[CheckId(id)];

    /// <summary>The id of the token whose stored text is exactly <paramref name="text"/>, if any.</summary>
    public int? FindToken(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Vocabulary.TextMap.TryGetValue(Encoding.UTF8.GetBytes(text), out int id) ? id : null;
    }

    /// <summary>
    /// Token ids of <paramref name="text"/>, as <c>llama_tokenize(text, addSpecial, parseSpecial)</c>.
    /// <paramref name="addSpecial"/> adds BOS/EOS as the vocabulary asks (<see cref="AddBos"/>, <see cref="AddEos"/>);
    /// <paramref name="parseSpecial"/> turns text that spells a CONTROL token into that token (USER_DEFINED tokens are
    /// matched either way).
    /// </summary>
    public int[] Encode(string text, bool addSpecial = true, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        var fragments = new List<TextFragment>();
        _specialTokens.Split(utf8, parseSpecial, fragments);
        var output = new List<int>(utf8.Length / 3 + 4);
        EncodeFragments(utf8, fragments, addSpecial, output);
        return output.ToArray();
    }

    /// <summary>Appends the ids of the text and token fragments, with BOS/EOS when <paramref name="addSpecial"/>.</summary>
    private protected abstract void EncodeFragments(ReadOnlySpan<byte> text, List<TextFragment> fragments, bool addSpecial, List<int> output);

    /// <summary>
    /// Text of <paramref name="ids"/>, as <c>llama_detokenize</c>: CONTROL/UNKNOWN tokens are shown only with
    /// <paramref name="unparseSpecial"/>; <paramref name="removeSpecial"/> drops a leading BOS and trailing EOS that
    /// the vocabulary adds itself; SentencePiece drops the leading space of a first token that is not BOS; vocabularies
    /// that ask for it get llama.cpp's clean-up of spaces before punctuation and contractions. Bytes that do not form
    /// valid UTF-8 become U+FFFD.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool removeSpecial = false, bool unparseSpecial = false)
    {
        foreach (int id in ids) CheckId(id);
        var bytes = new List<byte>(ids.Length * 4);
        bool removeSpace = Vocabulary.AddSpacePrefix;
        if (removeSpecial && Vocabulary.AddBos && ids.Length > 0 && ids[0] == Vocabulary.Bos)
        {
            removeSpace = false;
            ids = ids[1..];
        }
        if (removeSpecial && Vocabulary.AddEos && ids.Length > 0 && ids[^1] == Vocabulary.Eos)
            ids = ids[..^1];

        foreach (int id in ids)
        {
            var piece = TokenPiece(id, unparseSpecial);
            if (removeSpace && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
            removeSpace = false;
            foreach (byte b in piece) bytes.Add(b);
        }

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        int length = _cleanSpaces ? CleanUpSpaces(span) : span.Length;
        return Encoding.UTF8.GetString(span[..length]);
    }

    /// <summary>The bytes token <paramref name="id"/> stands for (empty for CONTROL/UNKNOWN tokens unless
    /// <paramref name="unparseSpecial"/>). A multi-byte character may be split across tokens.</summary>
    public byte[] TokenToPieceBytes(int id, bool unparseSpecial) => TokenPiece(id, unparseSpecial).ToArray();

    /// <summary>Like <see cref="TokenToPieceBytes"/>, without copying.</summary>
    public ReadOnlySpan<byte> TokenPiece(int id, bool unparseSpecial)
    {
        CheckId(id);
        if (!unparseSpecial && (Vocabulary.Attributes[id] & (TokenAttributes.Unknown | TokenAttributes.Control)) != 0)
            return ReadOnlySpan<byte>.Empty;
        return _pieces[id];
    }

    int CheckId(int id)
    {
        if ((uint)id >= (uint)Vocabulary.Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is outside the vocabulary (0..{Vocabulary.Count - 1})");
        return id;
    }

    static int? Optional(int id) => id == TokenVocabulary.NoToken ? null : id;

    /// <summary>
    /// llama.cpp's <c>clean_up_tokenization_spaces</c>, in place, three passes: drop the space before ? ! . ,
    /// turn " ' " into "'"; drop the space before 's 'm 're 've. Returns the new length.
    /// </summary>
    static int CleanUpSpaces(Span<byte> text)
    {
        int total = text.Length;

        int total1 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total1; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',') total--;
            text[total++] = x;
        }

        int total2 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total2; i++)
        {
            byte x = text[i];
            if (x == '\'' && i + 1 < total2 && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;           // the space before
                text[++i] = 0;     // and the one after, which is skipped
            }
            text[total++] = x;
        }

        int total3 = total;
        total = total > 0 ? 1 : 0;
        for (int i = 1; i < total3; i++)
        {
            byte x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < total3)
            {
                byte x1 = text[i + 1];
                if (x1 is (byte)'s' or (byte)'m') total--;
                else if (x1 is not ((byte)'t' or (byte)'d') && i + 2 < total3)
                {
                    byte x2 = text[i + 2];
                    if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) total--;
                }
            }
            text[total++] = x;
        }
        return total;
    }
}
