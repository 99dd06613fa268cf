using System.Text;
using Specula.Gguf;

namespace Specula.Tokenization;

/// <summary>The model-family defaults llama.cpp starts from before reading a GGUF's own settings.</summary>
readonly record struct VocabularyDefaults(int Bos, int Eos, int Unknown, bool AddBos, bool AddEos, bool AddSpacePrefix);

/// <summary>
/// Token texts, scores and attributes from GGUF metadata, with the special ids and end-of-generation set resolved
/// the way llama.cpp's <c>llama_vocab::load</c> resolves them: family defaults, then the GGUF keys, then
/// recognition of well-known special tokens by their text (which also retypes them as CONTROL).
/// </summary>
sealed class TokenVocabulary
{
    public const int NoToken = -1;

    public string[] Texts { get; }
    public float[] Scores { get; }
    public TokenAttributes[] Attributes { get; }
    readonly byte[] _textBytes;
    readonly int[] _textStart; // Count + 1 offsets into _textBytes
    ByteSequenceMap? _textMap;

    public int Count => Texts.Length;
    public int Bos { get; private set; }
    public int Eos { get; private set; }
    public int Eot { get; private set; } = NoToken;
    public int Eom { get; private set; } = NoToken;
    public int Unknown { get; private set; }
    public int Separator { get; private set; } = NoToken;
    public int Padding { get; private set; } = NoToken;
    public int Mask { get; private set; } = NoToken;
    public int FimPrefix { get; private set; } = NoToken;
    public int FimSuffix { get; private set; } = NoToken;
    public int FimMiddle { get; private set; } = NoToken;
    public int FimPad { get; private set; } = NoToken;
    public int FimRepo { get; private set; } = NoToken;
    public int FimSeparator { get; private set; } = NoToken;
    public bool AddBos { get; }
    public bool AddEos { get; }
    public bool AddSpacePrefix { get; }

    readonly bool[] _isEndOfGeneration;
    public int[] EndOfGenerationIds { get; }

    /// <summary>CONTROL, USER_DEFINED and UNKNOWN tokens, longest text first (ties by id): the order in which
    /// special tokens are cut out of the input.</summary>
    public int[] SpecialTokensLongestFirst { get; }

    // Texts llama.cpp recognises when the GGUF does not name the id (llama-vocab.cpp), in its order of preference.
    static readonly string[] EotTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
        "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>",
    ];
    static readonly string[] EomTexts = ["<|eom_id|>"];
    static readonly string[] FimPrefixTexts = ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"];
    static readonly string[] FimSuffixTexts = ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"];
    static readonly string[] FimMiddleTexts = ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"];
    static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
    static readonly string[] FimRepoTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];
    static readonly string[] FimSeparatorTexts = ["<|file_sep|>"];
    /// <summary>Tokens that end generation whatever the GGUF says (llama.cpp keeps this list by text).</summary>
    static readonly string[] EndOfGenerationTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>",
        "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
        "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~[",
    ];
    /// <summary>gpt-oss channel markers, which llama.cpp always renders (USER_DEFINED).</summary>
    static readonly string[] AlwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

    public TokenVocabulary(GgufReader gguf, VocabularyDefaults defaults)
    {
        string[] texts = gguf.GetStringArray("tokenizer.ggml.tokens")
            ?? throw new InvalidDataException("GGUF metadata 'tokenizer.ggml.tokens' is missing: the file has no vocabulary");
        int count = texts.Length;
        if (count == 0) throw new InvalidDataException("GGUF metadata 'tokenizer.ggml.tokens' is empty");
        Texts = ReplaceEmptyTexts(texts);
        Scores = ReadScores(gguf, count);
        Attributes = ReadAttributes(gguf, count);
        (_textBytes, _textStart) = EncodeTexts(Texts);

        var known = FindKnownTexts(Texts);

        // Special ids: family defaults (dropped when outside the vocabulary), then the GGUF keys when in range.
        Bos = InRange(defaults.Bos);
        Eos = InRange(defaults.Eos);
        Unknown = InRange(defaults.Unknown);
        Bos = ReadId(gguf, "tokenizer.ggml.bos_token_id", Bos);
        Eos = ReadId(gguf, "tokenizer.ggml.eos_token_id", Eos);
        Eot = ReadId(gguf, "tokenizer.ggml.eot_token_id", Eot);
        Eom = ReadId(gguf, "tokenizer.ggml.eom_token_id", Eom);
        Unknown = ReadId(gguf, "tokenizer.ggml.unknown_token_id", Unknown);
        Separator = ReadId(gguf, "tokenizer.ggml.seperator_token_id", Separator);
        Padding = ReadId(gguf, "tokenizer.ggml.padding_token_id", Padding);
        Mask = ReadId(gguf, "tokenizer.ggml.mask_token_id", Mask);
        FimPrefix = ReadId(gguf, "tokenizer.ggml.fim_pre_token_id", FimPrefix);
        FimSuffix = ReadId(gguf, "tokenizer.ggml.fim_suf_token_id", FimSuffix);
        FimMiddle = ReadId(gguf, "tokenizer.ggml.fim_mid_token_id", FimMiddle);
        FimPad = ReadId(gguf, "tokenizer.ggml.fim_pad_token_id", FimPad);
        FimRepo = ReadId(gguf, "tokenizer.ggml.fim_rep_token_id", FimRepo);
        FimSeparator = ReadId(gguf, "tokenizer.ggml.fim_sep_token_id", FimSeparator);
        FimPrefix = ReadId(gguf, "tokenizer.ggml.prefix_token_id", FimPrefix); // deprecated spellings
        FimSuffix = ReadId(gguf, "tokenizer.ggml.suffix_token_id", FimSuffix);
        FimMiddle = ReadId(gguf, "tokenizer.ggml.middle_token_id", FimMiddle);

        AddBos = gguf.GetBool("tokenizer.ggml.add_bos_token") ?? defaults.AddBos;
        AddEos = gguf.GetBool("tokenizer.ggml.add_eos_token") ?? defaults.AddEos;
        AddSpacePrefix = gguf.GetBool("tokenizer.ggml.add_space_prefix") ?? defaults.AddSpacePrefix;
        if (AddBos && Bos == NoToken)
            throw new InvalidDataException("tokenizer.ggml.add_bos_token is true, but the vocabulary has no BOS token (tokenizer.ggml.bos_token_id)");
        if (AddEos && Eos == NoToken)
            throw new InvalidDataException("tokenizer.ggml.add_eos_token is true, but the vocabulary has no EOS token (tokenizer.ggml.eos_token_id)");

        // Well-known special tokens the GGUF did not name are found by text and made CONTROL.
        Eot = Eot != NoToken ? Eot : Recognise(known, EotTexts);
        Eom = Eom != NoToken ? Eom : Recognise(known, EomTexts);
        FimPrefix = FimPrefix != NoToken ? FimPrefix : Recognise(known, FimPrefixTexts);
        FimSuffix = FimSuffix != NoToken ? FimSuffix : Recognise(known, FimSuffixTexts);
        FimMiddle = FimMiddle != NoToken ? FimMiddle : Recognise(known, FimMiddleTexts);
        FimPad = FimPad != NoToken ? FimPad : Recognise(known, FimPadTexts);
        FimRepo = FimRepo != NoToken ? FimRepo : Recognise(known, FimRepoTexts);
        FimSeparator = FimSeparator != NoToken ? FimSeparator : Recognise(known, FimSeparatorTexts);

        // CONTROL tokens named "unused" are unused.
        for (int id = 0; id < count; id++)
            if ((Attributes[id] & TokenAttributes.Control) != 0 && Texts[id].Contains("unused", StringComparison.Ordinal))
                Attributes[id] |= TokenAttributes.Unused;

        _isEndOfGeneration = new bool[count];
        ResolveEndOfGeneration(known);
        var eog = new List<int>();
        for (int id = 0; id < count; id++) if (_isEndOfGeneration[id]) eog.Add(id);
        EndOfGenerationIds = eog.ToArray();

        SpecialTokensLongestFirst = SortSpecialTokens();
        ApplyModelSpecificStripping(gguf, known);
    }

    public ReadOnlySpan<byte> TextBytes(int id) => _textBytes.AsSpan(_textStart[id], _textStart[id + 1] - _textStart[id]);

    public bool IsEndOfGeneration(int id) => (uint)id < (uint)_isEndOfGeneration.Length && _isEndOfGeneration[id];

    /// <summary>UTF-8 token text to id (for duplicate texts the last id wins, as in llama.cpp's map); built on first use.</summary>
    public ByteSequenceMap TextMap => LazyInitializer.EnsureInitialized(ref _textMap, BuildTextMap);

    ByteSequenceMap BuildTextMap()
    {
        var map = new ByteSequenceMap(Count, _textBytes.Length);
        for (int id = 0; id < Count; id++) map.Set(TextBytes(id), id);
        return map;
    }

    int InRange(int id) => id >= 0 && id < Count ? id : NoToken;

    int ReadId(GgufReader gguf, string key, int current)
    {
        long? value = gguf.GetInteger(key);
        // llama.cpp ignores an id outside the vocabulary and keeps the default.
        return value is { } v && v >= 0 && v < Count ? (int)v : current;
    }

    static string[] ReplaceEmptyTexts(string[] texts)
    {
        string[]? copy = null;
        for (int i = 0; i < texts.Length; i++)
        {
            if (texts[i].Length != 0) continue;
            copy ??= (string[])texts.Clone();
            copy[i] = $"[EMPTY_{i}]";
        }
        return copy ?? texts;
    }

    static float[] ReadScores(GgufReader gguf, int count)
    {
        var array = gguf.GetArray("tokenizer.ggml.scores");
        if (array == null) return new float[count];
        float[] scores = array.Values switch
        {
            float[] f => f,
            int[] i => Array.ConvertAll(i, v => (float)v),
            _ => throw new InvalidDataException($"GGUF metadata 'tokenizer.ggml.scores' should be float32 or int32, but is {array.ElementType}"),
        };
        if (scores.Length < count)
            throw new InvalidDataException($"GGUF metadata 'tokenizer.ggml.scores' has {scores.Length} entries for {count} tokens");
        return scores;
    }

    static TokenAttributes[] ReadAttributes(GgufReader gguf, int count)
    {
        var attributes = new TokenAttributes[count];
        int[]? types = gguf.GetInt32Array("tokenizer.ggml.token_type");
        if (types == null)
        {
            Array.Fill(attributes, TokenAttributes.Normal);
            return attributes;
        }
        if (types.Length < count)
            throw new InvalidDataException($"GGUF metadata 'tokenizer.ggml.token_type' has {types.Length} entries for {count} tokens");
        for (int i = 0; i < count; i++)
        {
            attributes[i] = (GgufTokenType)types[i] switch
            {
                GgufTokenType.Normal => TokenAttributes.Normal,
                GgufTokenType.Unknown => TokenAttributes.Unknown,
                GgufTokenType.Control => TokenAttributes.Control,
                GgufTokenType.UserDefined => TokenAttributes.UserDefined,
                GgufTokenType.Unused => TokenAttributes.Unused,
                GgufTokenType.Byte => TokenAttributes.Byte,
                _ => TokenAttributes.Undefined,
            };
        }
        return attributes;
    }

    static (byte[] Bytes, int[] Start) EncodeTexts(string[] texts)
    {
        var start = new int[texts.Length + 1];
        int total = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            start[i] = total;
            total += Encoding.UTF8.GetByteCount(texts[i]);
        }
        start[texts.Length] = total;
        var bytes = new byte[total];
        for (int i = 0; i < texts.Length; i++) Encoding.UTF8.GetBytes(texts[i], bytes.AsSpan(start[i]));
        return (bytes, start);
    }

    /// <summary>The ids of every text llama.cpp recognises by name (last id wins for duplicate texts).</summary>
    static Dictionary<string, int> FindKnownTexts(string[] texts)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { EotTexts, EomTexts, FimPrefixTexts, FimSuffixTexts, FimMiddleTexts, FimPadTexts,
                                     FimRepoTexts, FimSeparatorTexts, EndOfGenerationTexts, AlwaysRenderedTexts,
                                     ["<unk>", "<s>", "<mask>", "[MASK]"] })
            wanted.UnionWith(list);
        var known = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < texts.Length; id++)
        {
            string text = texts[id];
            // Cheap filter first: every wanted text is short and starts with '<', '[', '_' or '▁'.
            if (text.Length is 0 or > 32 || text[0] is not ('<' or '[' or '_' or '▁')) continue;
            if (wanted.Contains(text)) known[text] = id;
        }
        return known;
    }

    int Recognise(Dictionary<string, int> known, string[] candidates)
    {
        foreach (string text in candidates)
        {
            if (!known.TryGetValue(text, out int id)) continue;
            Attributes[id] |= TokenAttributes.Control;
            return id;
        }
        return NoToken;
    }

    void ResolveEndOfGeneration(Dictionary<string, int> known)
    {
        foreach (int id in new[] { FimPad, FimRepo, FimSeparator })
            if (id != NoToken) _isEndOfGeneration[id] = true;

        foreach (string text in EndOfGenerationTexts)
        {
            if (!known.TryGetValue(text, out int id)) continue;
            _isEndOfGeneration[id] = true;
            Attributes[id] |= TokenAttributes.Control;
        }

        foreach (string text in AlwaysRenderedTexts)
            if (known.TryGetValue(text, out int id)) Attributes[id] = TokenAttributes.UserDefined;

        foreach (int id in new[] { Eos, Eot, Eom })
            if (id != NoToken) _isEndOfGeneration[id] = true;

        // gpt-oss / Solar Open: "<|end|>" ends a message, not the generation, when "<|return|>"/"<|call|>" exist.
        bool Has(string text) => known.TryGetValue(text, out int id) && _isEndOfGeneration[id];
        if (known.TryGetValue("<|end|>", out int end) && _isEndOfGeneration[end] &&
            ((Has("<|return|>") && Has("<|call|>")) || (Has("<|calls|>") && Has("<|flush|>"))))
        {
            _isEndOfGeneration[end] = false;
            Attributes[end] = TokenAttributes.UserDefined;
        }

        // Gemma 4: "</s>" is ordinary text there.
        if (Has("<|tool_response>") && known.TryGetValue("</s>", out int closeS) && _isEndOfGeneration[closeS])
        {
            _isEndOfGeneration[closeS] = false;
            Attributes[closeS] = TokenAttributes.Normal;
        }
    }

    int[] SortSpecialTokens()
    {
        var ids = new List<int>();
        for (int id = 0; id < Count; id++)
            if ((Attributes[id] & (TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown)) != 0)
                ids.Add(id);
        ids.Sort((a, b) =>
        {
            int byLength = (_textStart[b + 1] - _textStart[b]).CompareTo(_textStart[a + 1] - _textStart[a]);
            return byLength != 0 ? byLength : a.CompareTo(b);
        });
        return ids.ToArray();
    }

    /// <summary>llama.cpp's per-model strip attributes, keyed on the model name and pre-tokenizer.</summary>
    void ApplyModelSpecificStripping(GgufReader gguf, Dictionary<string, int> known)
    {
        string name = (gguf.GetString("general.name") ?? "").ToLowerInvariant();
        string pre = gguf.GetString("tokenizer.ggml.pre") ?? "";
        string architecture = gguf.GetString("general.architecture") ?? "";

        if (pre.Contains("jina-v2-de") || pre.Contains("jina-v2-es") || pre.Contains("jina-v2-code") ||
            architecture.Contains("nomic-bert-moe") || architecture.Contains("jina-bert-v3"))
        {
            if (known.TryGetValue("<mask>", out int mask)) Attributes[mask] |= TokenAttributes.LeftStrip;
        }
        else if (name.Contains("phi-3") || name.Contains("phi3"))
        {
            foreach (int id in SpecialTokensLongestFirst) Attributes[id] |= TokenAttributes.RightStrip;
            if (known.TryGetValue("</s>", out int closeS)) Attributes[closeS] |= TokenAttributes.RightStrip;
            foreach (string text in new[] { "<unk>", "<s>", "<|endoftext|>" })
                if (known.TryGetValue(text, out int id)) Attributes[id] &= ~TokenAttributes.RightStrip;
        }
        else if (name.Contains("modern-bert"))
        {
            if (known.TryGetValue("[MASK]", out int mask)) Attributes[mask] |= TokenAttributes.LeftStrip;
        }
    }
}
