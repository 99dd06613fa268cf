namespace Specula.Sampling;

/// <summary>
/// llama.cpp's repetition, frequency and presence penalties (llama_sampler_penalties). For every distinct
/// token t that occurs count(t) &gt; 0 times in the window:
/// <code>
///   logit[t] = logit[t] &lt;= 0 ? logit[t] * repeat : logit[t] / repeat
///   logit[t] -= count(t) * frequency + presence
/// </code>
/// Dividing positive and multiplying non-positive logits makes a repeated token less likely either way
/// (the CTRL paper only divided, which would favour tokens with negative logits).
/// </summary>
public static class LogitPenalties
{
    /// <summary>
    /// Applies the penalties in place. <paramref name="counts"/> is caller-owned scratch with one zeroed
    /// entry per vocabulary token; it is left zeroed again, so the call allocates nothing.
    /// </summary>
    public static void Apply(Span<float> logits, ReadOnlySpan<int> window, Span<int> counts,
        float repeat, float frequency, float presence)
    {
        if (counts.Length < logits.Length)
            throw new ArgumentException($"counts scratch has {counts.Length} entries, needs one per logit ({logits.Length})", nameof(counts));

        // Check every id before touching counts, so a bad id cannot leave the scratch dirty.
        for (int i = 0; i < window.Length; i++)
            if ((uint)window[i] >= (uint)logits.Length)
                throw new ArgumentOutOfRangeException(nameof(window),
                    $"token id {window[i]} at history position {i} of the penalty window is outside the vocabulary [0, {logits.Length})");

        foreach (int token in window)
            counts[token]++;

        // Visit the window again; the first visit of each token applies its penalty and clears its count,
        // which both prevents a second application and restores the scratch.
        foreach (int token in window)
        {
            int count = counts[token];
            if (count == 0)
                continue;
            counts[token] = 0;

            float logit = logits[token];
            logit = logit <= 0f ? logit * repeat : logit / repeat;
            logits[token] = logit - (count * frequency + presence);
        }
    }

    /// <summary>
    /// The part of <paramref name="history"/> the penalties look at: the last <paramref name="lastN"/>
    /// tokens, all of them for -1, none for 0.
    /// </summary>
    public static ReadOnlySpan<int> Window(ReadOnlySpan<int> history, int lastN) => lastN switch
    {
        < 0 => history,
        0 => ReadOnlySpan<int>.Empty,
        _ => history.Length <= lastN ? history : history[^lastN..],
    };
}
