using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Specula.Sampling;

/// <summary>
/// Turns one row of logits into a token with llama.cpp's default sampler chain:
/// <list type="number">
/// <item>penalties (repetition / frequency / presence over the last <see cref="SamplingParams.PenaltyLastN"/> tokens of the history);</item>
/// <item>top-k (the k best logits, lower id first on ties);</item>
/// <item>top-p (the smallest best-first prefix whose probability reaches p, at least MinKeep tokens);</item>
/// <item>min-p (tokens with probability at least MinP times the best one's, at least MinKeep);</item>
/// <item>temperature (divides the surviving logits);</item>
/// <item>a draw from the softmax of what is left, with the caller's <see cref="IRandomSource"/>.</item>
/// </list>
/// As in llama.cpp, top-p and min-p measure probabilities before temperature is applied, and a temperature
/// of 0 or less means greedy: the argmax of the penalised logits, lowest id on ties.
/// <para>
/// Logprobs are the log-softmax of the <em>raw</em> logits passed in: before penalties, truncation and
/// temperature (what OpenAI-style APIs report, and vLLM's default "raw logprobs"). They describe the
/// model, not the processed distribution the token was drawn from.
/// </para>
/// <para>
/// One sampler serves one request (it owns vocabulary-sized buffers and is not thread-safe). After
/// construction a step allocates nothing.
/// </para>
/// </summary>
public sealed class Sampler
{
    // How far below the best logit top-p first looks without top-k: tokens within a factor 1e4 of the best.
    // Peaked distributions reach p inside this window; flatter ones widen it (doubling) until they do.
    const float FirstTopPWindow = 9.2103404f; // ln(1e4)
    // exp(-104) underflows float to 0, so a window this wide is the same as taking every token.
    const float WidestWindow = 104f;
    // Above this many gathered tokens, top-p first narrows them by a mass histogram instead of sorting all.
    const int NarrowingThreshold = 1024;

    enum Truncation { None, TopK, Threshold }

    static readonly float[] s_singleWeight = [1f];
    static int[] s_identityIds = [];

    readonly Truncation _truncation;
    readonly int _minKeep;
    readonly bool _reportLogprobs;

    // Penalties: a penalised copy of the logits and per-token occurrence counts (kept zeroed between steps).
    readonly float[] _penalized = [];
    readonly int[] _counts = [];

    // Candidates: sort keys / heap, ids and logits best first, and their weights. Without truncation every
    // token is a candidate and _allIds is simply 0..V-1.
    readonly ulong[] _keys = [];
    readonly ulong[] _sortScratch = [];
    readonly int[] _ids = [];
    readonly float[] _candidateLogits = [];
    readonly float[] _weights = [];
    readonly float[] _massById = []; // exp(logit - max) per token: top-p's mass without top-k
    readonly int[] _allIds = [];
    readonly int[] _greedyId = new int[1];

    // Logprobs: scratch for the raw softmax and the top-n list of the last step.
    readonly float[] _logprobScratch = [];
    readonly ulong[] _topHeap = [];
    readonly int[] _topIds = [];
    readonly TokenLogprob[] _topLogprobs = [];
    int _topLogprobCount;

    /// <summary>Creates a sampler for a vocabulary of <paramref name="vocabSize"/> tokens; throws if a parameter is unusable.</summary>
    public Sampler(SamplingParams parameters, int vocabSize)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        parameters.Validate(vocabSize);
        Parameters = parameters;
        VocabSize = vocabSize;
        _minKeep = Math.Clamp(parameters.MinKeep, 1, vocabSize);

        if (parameters.PenaltiesEnabled)
        {
            _penalized = new float[vocabSize];
            _counts = new int[vocabSize];
        }

        if (!parameters.IsGreedy)
        {
            bool topK = parameters.TopK > 0 && parameters.TopK < vocabSize;
            bool filter = parameters.TopP < 1f || parameters.MinP > 0f;
            _truncation = topK ? Truncation.TopK : filter ? Truncation.Threshold : Truncation.None;
            int capacity = _truncation == Truncation.TopK ? parameters.TopK : vocabSize;
            _weights = new float[capacity];
            if (_truncation == Truncation.None)
            {
                _allIds = IdentityIds(vocabSize);
            }
            else
            {
                _keys = new ulong[capacity];
                _ids = new int[capacity];
                _candidateLogits = new float[capacity];
                if (_truncation == Truncation.Threshold)
                {
                    _sortScratch = new ulong[vocabSize];
                    if (parameters.TopP < 1f)
                        _massById = new float[vocabSize];
                }
            }
        }

        _reportLogprobs = parameters.Logprobs || parameters.TopLogprobs > 0;
        if (_reportLogprobs)
        {
            // The draw is finished before logprobs are computed, so a vocabulary-sized weight buffer can be reused.
            _logprobScratch = _weights.Length == vocabSize ? _weights : new float[vocabSize];
            _topHeap = new ulong[parameters.TopLogprobs];
            _topIds = new int[parameters.TopLogprobs];
            _topLogprobs = new TokenLogprob[parameters.TopLogprobs];
        }
    }

    public SamplingParams Parameters { get; }

    public int VocabSize { get; }

    /// <summary>
    /// The <see cref="SamplingParams.TopLogprobs"/> most likely tokens of the last <see cref="Sample"/> call
    /// (raw log-probabilities, best first); empty when not requested. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<TokenLogprob> TopLogprobs => _topLogprobs.AsSpan(0, _topLogprobCount);

    /// <summary>
    /// Chooses the next token. <paramref name="logits"/> has one entry per vocabulary token;
    /// <paramref name="history"/> is the sequence so far (the penalties look at its tail). A non-greedy
    /// step uses exactly one value of <paramref name="random"/>; a greedy step uses none.
    /// </summary>
    public SampledToken Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        TokenDistribution distribution = ComputeDistribution(logits, history);
        int token = Parameters.IsGreedy ? distribution.TokenIds[0] : distribution.DrawToken(random);

        _topLogprobCount = 0;
        if (!_reportLogprobs)
            return new SampledToken(token, null);
        return new SampledToken(token, RawLogprobs(logits, token));
    }

    /// <summary>
    /// Runs the chain up to (not including) the draw and returns the distribution the token would be drawn
    /// from: one candidate with weight 1 when greedy. Valid until this sampler's next call.
    /// </summary>
    public TokenDistribution ComputeDistribution(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        ReadOnlySpan<float> penalized = PenalizedLogits(logits, history);
        int best = FirstIndexOfMax(penalized);
        if (Parameters.IsGreedy)
        {
            _greedyId[0] = best;
            return new TokenDistribution(_greedyId, s_singleWeight, 1.0);
        }

        float maxLogit = penalized[best];
        switch (_truncation)
        {
            case Truncation.None:
                return Tempered(_allIds.AsSpan(0, VocabSize), penalized, maxLogit);
            case Truncation.TopK:
            {
                int count = TopKSelector.Select(penalized, Parameters.TopK, _keys, _ids);
                for (int i = 0; i < count; i++)
                    _candidateLogits[i] = penalized[_ids[i]];
                int kept = count;
                if (Parameters.TopP < 1f || Parameters.MinP > 0f)
                {
                    // After top-k, top-p measures probabilities within the k candidates (llama.cpp's order).
                    Span<float> mass = _weights.AsSpan(0, count);
                    ExpShifted(_candidateLogits.AsSpan(0, count), maxLogit, 1f, mass);
                    kept = KeptPrefixLength(_candidateLogits.AsSpan(0, count), mass,
                        TopPTarget(DoubleSum.Of(mass)), MinPCutoff(maxLogit), isWholeSet: true, restBelowMinPCutoff: false);
                }
                return Tempered(_ids.AsSpan(0, kept), _candidateLogits.AsSpan(0, kept), maxLogit);
            }
            default:
            {
                int kept = ThresholdTruncate(penalized, maxLogit);
                return Tempered(_ids.AsSpan(0, kept), _candidateLogits.AsSpan(0, kept), maxLogit);
            }
        }
    }

    /// <summary>0, 1, ..., at least <paramref name="count"/> - 1: the candidate ids without truncation, shared by all samplers.</summary>
    static int[] IdentityIds(int count)
    {
        int[] ids = Volatile.Read(ref s_identityIds);
        if (ids.Length >= count)
            return ids;
        ids = new int[count];
        for (int i = 0; i < count; i++)
            ids[i] = i;
        Volatile.Write(ref s_identityIds, ids); // a racing writer may win; any long-enough array is equally good
        return ids;
    }

    ReadOnlySpan<float> PenalizedLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> history)
    {
        if (logits.Length != VocabSize)
            throw new ArgumentException($"expected {VocabSize} logits (one per vocabulary token), got {logits.Length}", nameof(logits));
        if (_penalized.Length == 0)
            return logits;
        ReadOnlySpan<int> window = LogitPenalties.Window(history, Parameters.PenaltyLastN);
        if (window.IsEmpty)
            return logits;
        logits.CopyTo(_penalized);
        LogitPenalties.Apply(_penalized, window, _counts,
            Parameters.RepetitionPenalty, Parameters.FrequencyPenalty, Parameters.PresencePenalty);
        return _penalized;
    }

    /// <summary>Index of the largest logit, the lowest index among equal ones; rejects NaN, +inf and all -inf.</summary>
    static int FirstIndexOfMax(ReadOnlySpan<float> logits)
    {
        int index = TensorPrimitives.IndexOfMax(logits);
        float max = logits[index];
        if (float.IsNaN(max))
            throw new ArgumentException($"the logit of token {index} is NaN", nameof(logits));
        if (float.IsPositiveInfinity(max))
            throw new ArgumentException($"the logit of token {index} is +infinity", nameof(logits));
        if (float.IsNegativeInfinity(max))
            throw new ArgumentException("every logit is -infinity, so no token can be chosen", nameof(logits));

        // IndexOfMax ranks +0 above -0 and does not promise the first of equal values; llama.cpp keeps the
        // lowest id, so look for an equal value before it.
        ref float start = ref MemoryMarshal.GetReference(logits);
        int width = Vector<float>.Count;
        var target = new Vector<float>(max);
        int i = 0;
        for (; i <= index - width; i += width)
        {
            if (!Vector.EqualsAny(Vector.LoadUnsafe(ref start, (nuint)i), target))
                continue;
            for (int j = i; j < i + width; j++)
                if (logits[j] == max)
                    return j;
        }
        for (; i < index; i++)
            if (logits[i] == max)
                return i;
        return index;
    }

    /// <summary>
    /// Top-p and min-p over the whole vocabulary (top-k off). Both keep a best-first prefix, so only the
    /// tokens above a cutoff are gathered and sorted; the cutoff starts at the min-p bound or a narrow
    /// window and widens until the prefix length is decided. Leaves ids and logits in the candidate buffers.
    /// </summary>
    int ThresholdTruncate(ReadOnlySpan<float> logits, float maxLogit)
    {
        double topPTarget = double.PositiveInfinity;
        if (Parameters.TopP < 1f)
        {
            // Without top-k, top-p's probabilities are normalised over the whole vocabulary.
            ExpShifted(logits, maxLogit, 1f, _massById);
            topPTarget = TopPTarget(DoubleSum.Of(_massById));
        }
        float minPCutoff = MinPCutoff(maxLogit);
        float cutoff = Parameters.TopP < 1f ? MathF.Max(maxLogit - FirstTopPWindow, minPCutoff) : minPCutoff;

        while (true)
        {
            int count = GatherAtLeast(logits, cutoff, _keys);
            bool isWholeSet = count == logits.Length;
            if (count >= _minKeep || isWholeSet)
            {
                if (count > NarrowingThreshold && Parameters.TopP < 1f)
                {
                    // Many tokens above the cutoff: sort only those the top-p mass can need.
                    int needed = NarrowToTopPMass(logits, count, maxLogit, cutoff, topPTarget);
                    if (needed < count)
                    {
                        int keptOfNarrowed = SortAndScan(logits, needed, topPTarget, minPCutoff, isWholeSet: false, restBelowMinPCutoff: false);
                        if (keptOfNarrowed > 0)
                            return keptOfNarrowed;
                        // Rounding put the top-p boundary just past the narrowed set: fall back to all of them.
                        count = GatherAtLeast(logits, cutoff, _keys);
                    }
                }
                int kept = SortAndScan(logits, count, topPTarget, minPCutoff, isWholeSet, restBelowMinPCutoff: cutoff <= minPCutoff);
                if (kept > 0)
                    return kept;
            }
            float distance = maxLogit - cutoff;
            cutoff = distance >= WidestWindow ? float.NegativeInfinity : maxLogit - MathF.Max(2f * distance, FirstTopPWindow);
        }
    }

    /// <summary>
    /// Sorts the first <paramref name="count"/> gathered keys best first, fills the candidate ids and logits,
    /// and returns how many survive top-p and min-p (-1 when that lies beyond them).
    /// </summary>
    int SortAndScan(ReadOnlySpan<float> logits, int count, double topPTarget, float minPCutoff, bool isWholeSet, bool restBelowMinPCutoff)
    {
        Span<ulong> keys = _keys.AsSpan(0, count);
        CandidateSort.SortBestFirst(keys, _sortScratch);
        bool topP = Parameters.TopP < 1f;
        for (int i = 0; i < count; i++)
        {
            int id = CandidateKey.TokenId(keys[i]);
            _ids[i] = id;
            _candidateLogits[i] = logits[id];
            if (topP)
                _weights[i] = _massById[id];
        }
        return KeptPrefixLength(_candidateLogits.AsSpan(0, count), topP ? _weights.AsSpan(0, count) : default,
            topPTarget, minPCutoff, isWholeSet, restBelowMinPCutoff);
    }

    /// <summary>
    /// Buckets the gathered tokens by distance below the best logit, finds the first bucket at which the
    /// cumulative mass reaches the top-p target, and moves the keys of the tokens in that bucket and above
    /// to the front. Returns their number, or <paramref name="count"/> with the keys untouched when the target
    /// is not reached or fewer than MinKeep tokens would remain.
    /// </summary>
    int NarrowToTopPMass(ReadOnlySpan<float> logits, int count, float maxLogit, float cutoff, double topPTarget)
    {
        const int buckets = 256;
        Span<double> massPerBucket = stackalloc double[buckets];
        massPerBucket.Clear();
        float range = MathF.Min(maxLogit - cutoff, WidestWindow);
        float scale = range > 0f ? buckets / range : 0f;
        Span<ulong> keys = _keys.AsSpan(0, count);
        foreach (ulong key in keys)
        {
            int id = CandidateKey.TokenId(key);
            massPerBucket[Bucket(maxLogit - logits[id], scale, buckets)] += _massById[id];
        }

        double cumulative = 0;
        int lastBucket = -1;
        for (int b = 0; b < buckets; b++)
        {
            cumulative += massPerBucket[b];
            if (cumulative >= topPTarget)
            {
                lastBucket = b;
                break;
            }
        }
        if (lastBucket < 0)
            return count;

        int needed = 0;
        foreach (ulong key in keys)
            if (Bucket(maxLogit - logits[CandidateKey.TokenId(key)], scale, buckets) <= lastBucket)
                needed++;
        // Fewer than MinKeep would not decide the answer: leave the keys as gathered.
        if (needed < _minKeep)
            return count;

        // Compact in place; the kept keys stay in id order, as the sort requires.
        needed = 0;
        foreach (ulong key in keys)
            if (Bucket(maxLogit - logits[CandidateKey.TokenId(key)], scale, buckets) <= lastBucket)
                keys[needed++] = key;
        return needed;
    }

    static int Bucket(float distanceBelowBest, float scale, int buckets)
    {
        float position = distanceBelowBest * scale;
        return position < buckets ? (int)position : buckets - 1; // also catches -inf logits (infinite distance)
    }

    /// <summary>
    /// How many of the best-first candidates survive top-p then min-p: the smallest n &gt;= MinKeep at which
    /// the cumulative mass reaches the top-p target or the next candidate falls below the min-p cutoff (both
    /// filters keep prefixes, so applying them in turn keeps the shorter one). Returns -1 when the answer
    /// lies beyond the gathered candidates. <paramref name="sortedMass"/> may be empty when top-p is off.
    /// </summary>
    int KeptPrefixLength(ReadOnlySpan<float> sortedLogits, ReadOnlySpan<float> sortedMass, double topPTarget,
        float minPCutoff, bool isWholeSet, bool restBelowMinPCutoff)
    {
        double cumulative = 0;
        int length = sortedLogits.Length;
        for (int n = 1; n <= length; n++)
        {
            if (!sortedMass.IsEmpty)
                cumulative += sortedMass[n - 1];
            if (n < _minKeep)
                continue;
            if (cumulative >= topPTarget)
                return n;
            if (n < length ? sortedLogits[n] < minPCutoff : restBelowMinPCutoff)
                return n;
        }
        return isWholeSet ? length : -1;
    }

    double TopPTarget(double totalMass) => Parameters.TopP < 1f ? Parameters.TopP * totalMass : double.PositiveInfinity;

    // min-p keeps p_i >= MinP * p_max, i.e. logit_i >= max + ln(MinP) (the same float expression as llama.cpp).
    float MinPCutoff(float maxLogit) => Parameters.MinP > 0f ? maxLogit + MathF.Log(Parameters.MinP) : float.NegativeInfinity;

    TokenDistribution Tempered(ReadOnlySpan<int> ids, ReadOnlySpan<float> candidateLogits, float maxLogit)
    {
        Span<float> weights = _weights.AsSpan(0, candidateLogits.Length);
        ExpShifted(candidateLogits, maxLogit, Parameters.Temperature, weights);
        return new TokenDistribution(ids, weights, TokenDistribution.BlockwiseSum(weights));
    }

    /// <summary>destination[i] = exp((logits[i] - max) / temperature), vectorised.</summary>
    static void ExpShifted(ReadOnlySpan<float> logits, float max, float temperature, Span<float> destination)
    {
        destination = destination[..logits.Length];
        TensorPrimitives.Subtract(logits, max, destination);
        if (temperature != 1f)
            TensorPrimitives.Divide(destination, temperature, destination);
        TensorPrimitives.Exp(destination, destination);
    }

    /// <summary>Writes the keys of all tokens with logit &gt;= cutoff, in id order; returns their number.</summary>
    static int GatherAtLeast(ReadOnlySpan<float> logits, float cutoff, Span<ulong> keys)
    {
        int count = 0;
        int n = logits.Length;
        ref float start = ref MemoryMarshal.GetReference(logits);
        int width = Vector<float>.Count;
        var threshold = new Vector<float>(cutoff);
        int i = 0;
        for (; i <= n - width; i += width)
        {
            if (!Vector.GreaterThanOrEqualAny(Vector.LoadUnsafe(ref start, (nuint)i), threshold))
                continue;
            for (int j = i; j < i + width; j++)
                if (logits[j] >= cutoff)
                    keys[count++] = CandidateKey.Encode(logits[j], j);
        }
        for (; i < n; i++)
            if (logits[i] >= cutoff)
                keys[count++] = CandidateKey.Encode(logits[i], i);
        return count;
    }

    /// <summary>Log-softmax of the raw logits for the chosen token, and fills <see cref="TopLogprobs"/>.</summary>
    float RawLogprobs(ReadOnlySpan<float> logits, int token)
    {
        float max = TensorPrimitives.Max(logits);
        Span<float> scratch = _logprobScratch;
        TensorPrimitives.Subtract(logits, max, scratch);
        TensorPrimitives.Exp(scratch, scratch);
        double logNormalizer = max + Math.Log(DoubleSum.Of(scratch));

        if (_topLogprobs.Length > 0)
        {
            int count = TopKSelector.Select(logits, _topLogprobs.Length, _topHeap, _topIds);
            for (int i = 0; i < count; i++)
                _topLogprobs[i] = new TokenLogprob(_topIds[i], (float)(logits[_topIds[i]] - logNormalizer));
            _topLogprobCount = count;
        }
        return (float)(logits[token] - logNormalizer);
    }
}
