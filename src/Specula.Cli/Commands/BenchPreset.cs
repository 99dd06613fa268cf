using Specula.Models;
using Specula.Tensors;

namespace Specula.Cli.Commands;

/// <summary>The synthetic model shapes of <c>specula bench --synthetic</c> (Llama-2-sized 32000 vocabulary),
/// written once per shape and type to a cache folder and reused.</summary>
public sealed record BenchPreset(string Name, int Dimension, int Layers, int FeedForward, int Heads, int KvHeads)
{
    public const int Vocabulary = 32000;

    public static readonly IReadOnlyList<BenchPreset> All =
    [
        new("134m", 768, 12, 2048, 12, 12),
        new("836m", 2048, 16, 5632, 32, 4),
    ];

    public static readonly IReadOnlyList<GgmlType> Types = [GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

    /// <summary>Parses <c>PRESET</c> or <c>PRESET:TYPE</c>; <paramref name="type"/> applies when the text names none.</summary>
    public static (BenchPreset Preset, GgmlType Type) Parse(string text, GgmlType? type)
    {
        var parts = text.Split(':', 2);
        var preset = All.FirstOrDefault(p => string.Equals(p.Name, parts[0], StringComparison.OrdinalIgnoreCase))
            ?? throw new CliException($"unknown synthetic preset '{parts[0]}'; presets: {string.Join(", ", All.Select(p => p.Name))}");
        var chosen = parts.Length == 2 ? ParseType(parts[1]) : type ?? GgmlType.Q4_0;
        return (preset, chosen);
    }

    public static GgmlType ParseType(string text)
    {
        foreach (var t in Types)
            if (string.Equals(t.ToString(), text, StringComparison.OrdinalIgnoreCase)) return t;
        throw new CliException($"unsupported benchmark type '{text}'; types: {string.Join(", ", Types)}");
    }

    public SyntheticModelSpec Spec(GgmlType type) => new()
    {
        Architecture = ModelArchitecture.Llama,
        EmbeddingLength = Dimension,
        LayerCount = Layers,
        FeedForwardLength = FeedForward,
        HeadCount = Heads,
        KvHeadCount = KvHeads,
        VocabularySize = Vocabulary,
        ContextLength = 4096,
        TensorType = type,
        Seed = 1,
        Name = $"synthetic-{Name}-{type}",
    };

    /// <summary>The cached file for this preset and type, written first if missing (to a temporary name, then
    /// renamed, so an interrupted write never leaves a truncated model behind).</summary>
    public string EnsureFile(GgmlType type, string cacheDirectory, TextWriter log)
    {
        Directory.CreateDirectory(cacheDirectory);
        string path = Path.Combine(cacheDirectory, $"synthetic-{Name}-{type}.gguf");
        if (File.Exists(path)) return path;
        log.WriteLine($"writing synthetic model {Name} {type} to {path} (once)...");
        string temporary = path + $".{Environment.ProcessId}.tmp";
        try
        {
            SyntheticModel.Write(Spec(type), temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
        return path;
    }

    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("SPECULA_BENCH_CACHE") is { Length: > 0 } dir ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "specula", "bench");
}
