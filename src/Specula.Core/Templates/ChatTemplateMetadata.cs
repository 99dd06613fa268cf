namespace Specula.Templates;

/// <summary>Finds chat templates in GGUF metadata: the default one under <c>tokenizer.chat_template</c>
/// and named variants (such as <c>tool_use</c>) under <c>tokenizer.chat_template.NAME</c>, as llama.cpp's
/// converter writes them. Takes a key lookup so it works with any GGUF reader.</summary>
public static class ChatTemplateMetadata
{
    public const string DefaultKey = "tokenizer.chat_template";

    /// <summary>The template called <paramref name="name"/> (null or "default": the default template), or
    /// null when the model has none.</summary>
    public static string? Find(Func<string, string?> lookup, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        return lookup(KeyFor(name));
    }

    /// <summary>Same, over metadata given as a dictionary of values (a non-string value is an error).</summary>
    public static string? Find(IReadOnlyDictionary<string, object> metadata, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var key = KeyFor(name);
        if (!metadata.TryGetValue(key, out var value)) return null;
        return value as string ?? throw new InvalidDataException($"GGUF metadata '{key}' is a {value.GetType().Name}, not a string");
    }

    /// <summary>The names of the named variants present (the default template is not listed).</summary>
    public static IReadOnlyList<string> VariantNames(IReadOnlyDictionary<string, object> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var prefix = DefaultKey + ".";
        return metadata.Keys
            .Where(key => key.StartsWith(prefix, StringComparison.Ordinal) && metadata[key] is string)
            .Select(key => key[prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The text of a special token (<paramref name="kind"/> "bos" or "eos") from the vocabulary in
    /// GGUF metadata: <c>tokenizer.ggml.{kind}_token_id</c> looked up in <c>tokenizer.ggml.tokens</c>, as
    /// llama.cpp fills <c>bos_token</c>/<c>eos_token</c> for templates. Null when the model has no such token.</summary>
    public static string? SpecialTokenText(IReadOnlyDictionary<string, object> metadata, string kind)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var idKey = $"tokenizer.ggml.{kind}_token_id";
        if (!metadata.TryGetValue(idKey, out var idValue)) return null;
        long id = idValue switch
        {
            byte or sbyte or short or ushort or int or uint or long => Convert.ToInt64(idValue, System.Globalization.CultureInfo.InvariantCulture),
            ulong u when u <= long.MaxValue => (long)u,
            _ => throw new InvalidDataException($"GGUF metadata '{idKey}' is not an integer"),
        };
        if (!metadata.TryGetValue("tokenizer.ggml.tokens", out var tokens) || tokens is not Gguf.GgufArray { Values: string[] texts })
            return null;
        if (id < 0 || id >= texts.Length)
            throw new InvalidDataException($"GGUF metadata '{idKey}' = {id} is outside the vocabulary of {texts.Length} tokens");
        return texts[id];
    }

    public static string KeyFor(string? name) =>
        string.IsNullOrEmpty(name) || name == "default" ? DefaultKey : $"{DefaultKey}.{name}";
}
