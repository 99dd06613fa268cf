namespace Specula.Tokenization;

/// <summary>
/// What a byte-level BPE vocabulary's <c>tokenizer.ggml.pre</c> name means in llama.cpp (llama-vocab.cpp): the split
/// expressions, whether detokenization cleans up spaces, whether a word that is already a token skips the merges,
/// and whether BOS is added by default.
/// </summary>
sealed record BpePreTokenizerSettings(string Name, SplitRule[] Rules, bool CleanSpaces, bool IgnoreMerges, bool AddBosByDefault, bool HasNoBos)
{
    static readonly SplitRule[] Llama3Rules = [SplitRule.Llama3];
    static readonly SplitRule[] Qwen2Rules = [SplitRule.Qwen2];
    static readonly SplitRule[] Gpt2Rules = [SplitRule.Gpt2];
    static readonly SplitRule[] TekkenRules = [SplitRule.Tekken];
    static readonly SplitRule[] Gpt4oRules = [SplitRule.Gpt4o];
    static readonly SplitRule[] StarCoderRules = [SplitRule.EachNumber, SplitRule.Gpt2];
    static readonly SplitRule[] DefaultRules = [SplitRule.PunctuationRuns, SplitRule.Gpt2, SplitRule.NumberRuns, SplitRule.AsciiDigitTriples];

    /// <summary>The settings for a pre-tokenizer name; null or empty means llama.cpp's "default".</summary>
    public static BpePreTokenizerSettings For(string? name)
    {
        string pre = string.IsNullOrEmpty(name) ? "default" : name;
        return pre switch
        {
            "default" => new(pre, DefaultRules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),

            "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" or "midm-2.0" or "lfm2" or "jina-v5-nano"
                => new(pre, Llama3Rules, CleanSpaces: true, IgnoreMerges: true, AddBosByDefault: true, HasNoBos: false),
            "dbrx" or "smaug-bpe"
                => new(pre, Llama3Rules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),
            "glm4" or "chatglm-bpe"
                => new(pre, Llama3Rules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: true),

            "qwen2" or "deepseek-r1-qwen" or "kormo" or "f2llmv2" or "hunyuan" or "solar-open" or "grok-2"
                => new(pre, Qwen2Rules, CleanSpaces: false, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),
            "stablelm2" or "megrez"
                => new(pre, Qwen2Rules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),

            "gpt-2" or "phi-2" or "jina-es" or "jina-de" or "gigachat" or "jina-v2-es" or "jina-v2-de" or "a.x-4.0"
                or "mellum" or "modern-bert" or "exaone4" or "mpt" or "olmo" or "jais"
                => new(pre, Gpt2Rules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),
            "trillion" or "granite-docling"
                => new(pre, Gpt2Rules, CleanSpaces: false, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),

            "tekken"
                => new(pre, TekkenRules, CleanSpaces: false, IgnoreMerges: true, AddBosByDefault: true, HasNoBos: false),
            "gpt-4o" or "llama4" or "minimax-m2" or "kanana2" or "talkie"
                => new(pre, Gpt4oRules, CleanSpaces: false, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),

            "starcoder" or "refact" or "codeshell" or "exaone" or "minerva-7b" or "mellum2"
                => new(pre, StarCoderRules, CleanSpaces: true, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),
            "smollm" or "command-r"
                => new(pre, StarCoderRules, CleanSpaces: false, IgnoreMerges: false, AddBosByDefault: false, HasNoBos: false),

            _ => throw new NotSupportedException($"BPE pre-tokenizer '{pre}' (tokenizer.ggml.pre) is not supported"),
        };
    }
}
