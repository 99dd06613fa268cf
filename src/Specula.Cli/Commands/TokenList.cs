namespace Specula.Cli.Commands;

/// <summary>Parses <c>--tokens 1,2,3</c>.</summary>
static class TokenList
{
    public static int[] Parse(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new CliException("--tokens needs at least one token id, e.g. --tokens 1,2,3");
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
                throw new CliException($"--tokens: '{parts[i]}' is not a token id (expected comma-separated non-negative integers)");
        return ids;
    }

    public static void CheckRange(int[] ids, int vocabulary)
    {
        foreach (int id in ids)
            if (id >= vocabulary)
                throw new CliException($"token id {id} is outside the model's vocabulary (0..{vocabulary - 1})");
    }
}
