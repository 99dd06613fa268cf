namespace Specula.Hub;

/// <summary>The model file chosen for a request, and why (shown to the user when nothing was named).</summary>
public sealed record GgufSelection(GgufFileSet Set, string Reason);

/// <summary>
/// Chooses which <c>.gguf</c> of a repository a request means:
/// <list type="bullet">
/// <item><c>:FILE.gguf</c> — that file (its path in the repo, or just its name when that is unique; exact case
/// first, then ignoring case). Naming any part of a split set selects the whole set.</item>
/// <item><c>:QUANT</c> — the one set whose path contains QUANT as a whole token, ignoring case. When several
/// match and exactly one of them is a single file, that one wins; otherwise it is an error listing them.</item>
/// <item>nothing — <see cref="DefaultQuant"/> if present, else the only model file, else the smallest.
/// Projector and imatrix files are never picked by default or by quant.</item>
/// </list>
/// </summary>
public static class GgufSelector
{
    /// <summary>The quantization chosen when none is named: llama.cpp's usual size/quality trade-off.</summary>
    public const string DefaultQuant = "Q4_K_M";

    /// <param name="sets">The candidates (see <see cref="GgufFileSet.Group"/>).</param>
    /// <param name="selector">A file name, a quantization name, or null for the default.</param>
    /// <param name="source">Where the candidates come from, for messages (e.g. the repository id).</param>
    public static GgufSelection Select(IReadOnlyList<GgufFileSet> sets, string? selector, string source)
    {
        if (sets.Count == 0) throw new HubNotFoundException($"{source} has no .gguf files");
        if (selector == null) return SelectDefault(sets, source);
        if (selector.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) return SelectFile(sets, selector, source);
        return SelectQuant(sets, selector, source);
    }

    static GgufSelection SelectFile(IReadOnlyList<GgufFileSet> sets, string fileName, string source)
    {
        foreach (var comparison in (ReadOnlySpan<StringComparison>)[StringComparison.Ordinal, StringComparison.OrdinalIgnoreCase])
        {
            var matches = new List<GgufFileSet>();
            foreach (var set in sets)
                if (NamesPartOf(set, fileName, comparison)) matches.Add(set);
            if (matches.Count == 1) return new GgufSelection(matches[0], $"{fileName} as named");
            if (matches.Count > 1)
                throw Ambiguous($"'{fileName}' names {matches.Count} files in {source}; give the path inside the repository", matches);
        }
        throw new HubNotFoundException($"{source} has no file '{fileName}'; its model files: {List(sets)}");
    }

    /// <summary>True when <paramref name="fileName"/> is the path, or the bare name, of one of the set's parts.</summary>
    static bool NamesPartOf(GgufFileSet set, string fileName, StringComparison comparison)
    {
        bool bareName = !fileName.Contains('/');
        for (int index = 1; index <= set.PartCount; index++)
        {
            var path = set.PartPath(index);
            if (string.Equals(path, fileName, comparison)) return true;
            if (bareName && string.Equals(path[(path.LastIndexOf('/') + 1)..], fileName, comparison)) return true;
        }
        return false;
    }

    static GgufSelection SelectQuant(IReadOnlyList<GgufFileSet> sets, string quant, string source)
    {
        var matches = MatchQuant(sets, quant);
        if (matches.Count == 0)
            throw new HubNotFoundException($"no model file in {source} matches '{quant}'; its model files: {List(sets)}");
        var chosen = PreferSingleFile(matches)
                     ?? throw Ambiguous($"'{quant}' matches {matches.Count} model files in {source}; name one as {source}:FILE.gguf", matches);
        return new GgufSelection(chosen, $"{chosen.DisplayName} matches {quant}");
    }

    static GgufSelection SelectDefault(IReadOnlyList<GgufFileSet> sets, string source)
    {
        var models = sets.Where(s => !s.IsAuxiliary).ToList();
        if (models.Count == 0) models = sets.ToList(); // a repo of projectors only: the user asked for it
        if (models.Count == 1) return new GgufSelection(models[0], $"no quantization given; {models[0].DisplayName} is the only model file");

        var preferred = MatchQuant(models, DefaultQuant);
        if (preferred.Count > 0)
        {
            var chosen = PreferSingleFile(preferred) ?? Smallest(preferred);
            return new GgufSelection(chosen, $"no quantization given; chose {DefaultQuant} ({chosen.DisplayName}) of {models.Count} model files");
        }
        var smallest = Smallest(models);
        return new GgufSelection(smallest,
            $"no quantization given and no {DefaultQuant}; chose the smallest of {models.Count} model files ({smallest.DisplayName}); others: {List(models.Where(m => m != smallest).ToList())}");
    }

    static List<GgufFileSet> MatchQuant(IReadOnlyList<GgufFileSet> sets, string quant)
    {
        var matches = new List<GgufFileSet>();
        foreach (var set in sets)
            if (!set.IsAuxiliary && set.MatchesQuant(quant)) matches.Add(set);
        return matches;
    }

    /// <summary>The match itself when there is one; among several, the only single file; otherwise null.</summary>
    static GgufFileSet? PreferSingleFile(List<GgufFileSet> matches)
    {
        if (matches.Count == 1) return matches[0];
        var singles = matches.Where(m => !m.IsSplit).ToList();
        return singles.Count == 1 ? singles[0] : null;
    }

    static GgufFileSet Smallest(List<GgufFileSet> sets)
    {
        var smallest = sets[0];
        foreach (var set in sets)
            if (set.Size < smallest.Size) smallest = set;
        return smallest;
    }

    static AmbiguousModelException Ambiguous(string message, List<GgufFileSet> matches) =>
        new($"{message}: {List(matches)}", matches.Select(m => m.DisplayName).ToArray());

    static string List(IReadOnlyList<GgufFileSet> sets) => string.Join(", ", sets.Select(s => s.DisplayName));
}
