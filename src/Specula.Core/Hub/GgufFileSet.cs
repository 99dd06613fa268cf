using System.Globalization;

namespace Specula.Hub;

/// <summary>
/// One model file as a user thinks of it: a single <c>.gguf</c>, or a split set
/// <c>NAME-00001-of-00003.gguf</c>, <c>NAME-00002-of-00003.gguf</c>, ... (llama.cpp's gguf-split naming),
/// which is downloaded, listed and removed as one. Paths are relative, with '/' separators.
/// </summary>
public sealed class GgufFileSet
{
    const string Extension = ".gguf";
    const int SplitSuffixLength = 20; // "-00001-of-00003.gguf"

    /// <summary>Relative path without the split suffix and <c>.gguf</c>, e.g. <c>Q4_K_M/Model-Q4_K_M</c>.</summary>
    public string Stem { get; }

    /// <summary>True for a gguf-split set (even one of a single part).</summary>
    public bool IsSplit { get; }

    /// <summary>How many parts the set has by its names (1 for a single file).</summary>
    public int PartCount { get; }

    /// <summary>Paths of the parts that are present, in part order.</summary>
    public IReadOnlyList<string> Parts { get; }

    /// <summary>Total size in bytes of the parts that are present.</summary>
    public long Size { get; }

    /// <summary>True when every part is present.</summary>
    public bool IsComplete => Parts.Count == PartCount;

    /// <summary>The path a model loader opens: the file itself, or part 1 of a split set.</summary>
    public string FirstPart => IsSplit ? PartPath(1) : Parts[0];

    /// <summary>
    /// True for files that ship next to a model but are not one: vision projectors (<c>mmproj</c>) and
    /// importance matrices (<c>imatrix</c>). They are never chosen unless named.
    /// </summary>
    public bool IsAuxiliary
    {
        get
        {
            var name = Stem[(Stem.LastIndexOf('/') + 1)..];
            return name.Contains("mmproj", StringComparison.OrdinalIgnoreCase) || name.Contains("imatrix", StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>How the set is shown: its file name, or part 1 with the part count.</summary>
    public string DisplayName => IsSplit ? $"{FirstPart} ({PartCount} parts)" : Parts[0];

    readonly string extension; // as spelled on disk or on the hub (".gguf", rarely ".GGUF")

    GgufFileSet(string stem, bool isSplit, int partCount, IReadOnlyList<string> parts, long size)
    {
        Stem = stem;
        extension = parts[0][^Extension.Length..];
        IsSplit = isSplit;
        PartCount = partCount;
        Parts = parts;
        Size = size;
    }

    /// <summary>The path of part <paramref name="index"/> (1-based) of a split set.</summary>
    public string PartPath(int index) =>
        IsSplit ? $"{Stem}-{index.ToString("D5", CultureInfo.InvariantCulture)}-of-{PartCount.ToString("D5", CultureInfo.InvariantCulture)}{extension}" : Parts[0];

    /// <summary>True when <paramref name="path"/> is one of this set's parts (present or not).</summary>
    public bool ContainsPath(string path)
    {
        if (!IsSplit) return path == Parts[0];
        return TryParseSplitName(path, out var stem, out var index, out var count) && stem == Stem && count == PartCount && index >= 1;
    }

    /// <summary>
    /// True when the quantization name <paramref name="quant"/> (e.g. <c>Q4_K_M</c>) appears in the set's path as a
    /// whole token, case-insensitively: preceded by the start or one of <c>- . _ /</c> and followed by the end or
    /// one of <c>- . /</c>. So <c>Q4_K</c> does not match <c>Q4_K_M</c>, nor <c>Q4_0</c> match <c>IQ4_0</c>.
    /// </summary>
    public bool MatchesQuant(string quant)
    {
        if (quant.Length == 0) return false;
        for (int at = Stem.IndexOf(quant, StringComparison.OrdinalIgnoreCase); at >= 0;
             at = Stem.IndexOf(quant, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            int end = at + quant.Length;
            bool startsToken = at == 0 || Stem[at - 1] is '-' or '.' or '_' or '/';
            bool endsToken = end == Stem.Length || Stem[end] is '-' or '.' or '/';
            if (startsToken && endsToken) return true;
        }
        return false;
    }

    /// <summary>Groups <c>.gguf</c> files (other files are ignored) into single files and split sets.</summary>
    public static IReadOnlyList<GgufFileSet> Group(IEnumerable<(string Path, long Size)> files)
    {
        var singles = new List<GgufFileSet>();
        var splits = new Dictionary<(string Stem, int Count), SortedList<int, (string Path, long Size)>>();
        foreach (var (path, size) in files)
        {
            if (!path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase)) continue;
            if (TryParseSplitName(path, out var stem, out var index, out var count))
            {
                if (!splits.TryGetValue((stem, count), out var parts)) splits[(stem, count)] = parts = new SortedList<int, (string, long)>();
                parts[index] = (path, size);
            }
            else
            {
                singles.Add(new GgufFileSet(path[..^Extension.Length], false, 1, [path], size));
            }
        }
        foreach (var ((stem, count), parts) in splits)
        {
            long total = 0;
            foreach (var part in parts.Values) total += part.Size;
            singles.Add(new GgufFileSet(stem, true, count, parts.Values.Select(p => p.Path).ToArray(), total));
        }
        singles.Sort((a, b) => string.CompareOrdinal(a.Stem, b.Stem));
        return singles;
    }

    /// <summary>Parses <c>STEM-00002-of-00003.gguf</c>; indices must be in 1..count.</summary>
    public static bool TryParseSplitName(string path, out string stem, out int index, out int count)
    {
        stem = "";
        index = count = 0;
        if (path.Length <= SplitSuffixLength || !path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase)) return false;
        var suffix = path.AsSpan(path.Length - SplitSuffixLength); // "-00001-of-00003.gguf"
        if (suffix[0] != '-' || !suffix.Slice(6, 4).SequenceEqual("-of-")) return false;
        if (!int.TryParse(suffix.Slice(1, 5), NumberStyles.None, CultureInfo.InvariantCulture, out index)) return false;
        if (!int.TryParse(suffix.Slice(10, 5), NumberStyles.None, CultureInfo.InvariantCulture, out count)) return false;
        if (count < 1 || index < 1 || index > count) return false;
        stem = path[..^SplitSuffixLength];
        return true;
    }

    public override string ToString() => DisplayName;
}
