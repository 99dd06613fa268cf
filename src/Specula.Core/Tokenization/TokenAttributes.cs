namespace Specula.Tokenization;

/// <summary>
/// What kind of token an id is, as llama.cpp's <c>llama_token_attr</c> records it. Loaded from GGUF
/// <c>tokenizer.ggml.token_type</c> (see <see cref="GgufTokenType"/>) and adjusted at load the way llama.cpp adjusts it
/// (end-of-generation tokens become <see cref="Control"/>, Phi-3 special tokens strip whitespace to their right, ...).
/// </summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    Normalized = 1 << 6,
    /// <summary>When matched as a special token, whitespace to its left is dropped.</summary>
    LeftStrip = 1 << 7,
    /// <summary>When matched as a special token, whitespace to its right is dropped.</summary>
    RightStrip = 1 << 8,
    SingleWord = 1 << 9,
}

/// <summary>The values of GGUF's <c>tokenizer.ggml.token_type</c> array.</summary>
public enum GgufTokenType
{
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
