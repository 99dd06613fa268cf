namespace Specula.Sampling;

/// <summary>
/// How one request turns logits into tokens. Defaults are llama.cpp's (common_params_sampling):
/// temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, repetition penalty 1.0 (off) over the last 64
/// tokens. The chain applied by <see cref="Sampler"/> is llama.cpp's default order:
/// penalties → top-k → top-p → min-p → temperature → draw from the distribution; a temperature of 0 or
/// less means greedy (argmax after penalties, lowest token id on ties).
/// </summary>
public sealed record SamplingParams
{
    /// <summary>Divides the logits of the surviving candidates before the draw; &lt;= 0 means greedy.</summary>
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep only the k highest logits; 0 or less (or at least the vocabulary size) turns it off.</summary>
    public int TopK { get; init; } = 40;

    /// <summary>Keep the smallest best-first set whose probability mass reaches p; 1 turns it off.</summary>
    public float TopP { get; init; } = 0.95f;

    /// <summary>Keep tokens with probability at least MinP times the best token's; 0 turns it off.</summary>
    public float MinP { get; init; } = 0.05f;

    /// <summary>Top-p and min-p never cut the candidates below this many (values below 1 act as 1).</summary>
    public int MinKeep { get; init; } = 1;

    /// <summary>For tokens in the penalty window: positive logits are divided by it, others multiplied; 1 is off.</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    /// <summary>Subtracted once from the logit of every token that occurs in the penalty window.</summary>
    public float PresencePenalty { get; init; }

    /// <summary>Subtracted from a token's logit once per occurrence in the penalty window.</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>How many of the most recent tokens the penalties look at: -1 = the whole history, 0 = none.</summary>
    public int PenaltyLastN { get; init; } = 64;

    /// <summary>Seed for the request's random source; null draws one from the OS (not reproducible).</summary>
    public long? Seed { get; init; }

    /// <summary>Generation ends when the text contains one of these; the stop string itself is not emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Generation ends when one of these tokens is sampled (besides the model's end-of-generation tokens).</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Report the log-probability of each sampled token (see <see cref="Sampler"/> for which one).</summary>
    public bool Logprobs { get; init; }

    /// <summary>Also report this many most likely alternatives per position (implies <see cref="Logprobs"/>).</summary>
    public int TopLogprobs { get; init; }

    /// <summary>llama.cpp's defaults.</summary>
    public static SamplingParams Default { get; } = new();

    /// <summary>Plain argmax decoding, no penalties.</summary>
    public static SamplingParams Greedy { get; } = new() { Temperature = 0f };

    /// <summary>True when a temperature of 0 or less asks for argmax decoding.</summary>
    public bool IsGreedy => Temperature <= 0f;

    /// <summary>True when some penalty would change a logit.</summary>
    public bool PenaltiesEnabled =>
        PenaltyLastN != 0 && (RepetitionPenalty != 1f || FrequencyPenalty != 0f || PresencePenalty != 0f);

    /// <summary>True when <paramref name="tokenId"/> is one of <see cref="StopTokenIds"/>.</summary>
    public bool IsStopToken(int tokenId)
    {
        for (int i = 0; i < StopTokenIds.Count; i++)
            if (StopTokenIds[i] == tokenId)
                return true;
        return false;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot be used with this vocabulary.</summary>
    public void Validate(int vocabSize)
    {
        if (vocabSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "the vocabulary size must be positive");
        if (!float.IsFinite(Temperature))
            throw new ArgumentException($"Temperature must be a finite number, got {Temperature}");
        if (!(TopP >= 0f && TopP <= 1f))
            throw new ArgumentException($"TopP must be in [0, 1], got {TopP}");
        if (!(MinP >= 0f && MinP <= 1f))
            throw new ArgumentException($"MinP must be in [0, 1], got {MinP}");
        if (MinKeep < 0)
            throw new ArgumentException($"MinKeep must not be negative, got {MinKeep}");
        if (!(float.IsFinite(RepetitionPenalty) && RepetitionPenalty > 0f))
            throw new ArgumentException($"RepetitionPenalty must be a positive finite number, got {RepetitionPenalty}");
        if (!float.IsFinite(PresencePenalty))
            throw new ArgumentException($"PresencePenalty must be a finite number, got {PresencePenalty}");
        if (!float.IsFinite(FrequencyPenalty))
            throw new ArgumentException($"FrequencyPenalty must be a finite number, got {FrequencyPenalty}");
        if (PenaltyLastN < -1)
            throw new ArgumentException($"PenaltyLastN must be -1 (whole history), 0 (off) or a window length, got {PenaltyLastN}");
        if (TopLogprobs < 0 || TopLogprobs > vocabSize)
            throw new ArgumentException($"TopLogprobs must be in [0, {vocabSize}] (the vocabulary size), got {TopLogprobs}");
        if (StopStrings is null)
            throw new ArgumentException("StopStrings must not be null (use an empty list)");
        for (int i = 0; i < StopStrings.Count; i++)
            if (string.IsNullOrEmpty(StopStrings[i]))
                throw new ArgumentException($"StopStrings[{i}] is empty; a stop string needs at least one character");
        if (StopTokenIds is null)
            throw new ArgumentException("StopTokenIds must not be null (use an empty list)");
        for (int i = 0; i < StopTokenIds.Count; i++)
            if ((uint)StopTokenIds[i] >= (uint)vocabSize)
                throw new ArgumentException($"StopTokenIds[{i}] = {StopTokenIds[i]} is outside the vocabulary [0, {vocabSize})");
    }
}
