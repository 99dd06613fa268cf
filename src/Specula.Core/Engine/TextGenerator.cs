using System.Diagnostics;
using System.Text;
using Specula.Runtime;
using Specula.Sampling;
using Specula.Tokenization;

namespace Specula.Engine;

/// <summary>
/// The generation loop: prompt token ids in, text pieces out as they are produced. It owns one sequence of
/// the runner's KV cache and remembers which tokens that sequence holds, so a follow-up prompt that starts
/// with the same tokens (the next turn of a chat, rendered in full) evaluates only what is new: the cache is
/// truncated to the longest common prefix and the rest is prefilled.
/// <para>
/// Each step samples from the last logits with the caller's random source, stops at an end-of-generation
/// token (<see cref="Tokenizer.IsEndOfGeneration"/>: end of turn, end of text), a stop token id, a stop
/// string, the token limit or a full context, and otherwise streams the token's text: a
/// <see cref="StreamingDetokenizer"/> never emits half a UTF-8 character, and a <see cref="StopStringMatcher"/>
/// holds back text that may turn out to be the start of a stop string. Not thread-safe.
/// </para>
/// </summary>
public sealed class TextGenerator
{
    readonly ModelRunner _runner;
    readonly Tokenizer _tokenizer;
    readonly int _sequence;
    // The tokens whose keys and values are in the cache, in order (the penalties' history too).
    readonly List<int> _cached = [];
    Sampler? _sampler;

    public TextGenerator(ModelRunner runner, Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize != runner.VocabularySize)
            throw new InvalidDataException(
                $"the model's output layer has {runner.VocabularySize} rows but its vocabulary has {tokenizer.VocabSize} tokens");
        _runner = runner;
        _tokenizer = tokenizer;
        _sequence = runner.Cache.CreateSequence();
    }

    public ModelRunner Runner => _runner;
    public Tokenizer Tokenizer => _tokenizer;

    /// <summary>Longest sequence (prompt plus generated tokens) the runner can hold.</summary>
    public int ContextLength => _runner.ContextLength;

    /// <summary>The tokens currently held in the KV cache for this generator, oldest first.</summary>
    public IReadOnlyList<int> CachedTokens => _cached;

    /// <summary>Forgets the cached tokens (the next prompt is evaluated from scratch).</summary>
    public void Reset()
    {
        _runner.Cache.Truncate(_sequence, 0);
        _cached.Clear();
    }

    /// <summary>
    /// Generates a continuation of <paramref name="prompt"/> (the whole text so far, not just what is new).
    /// <paramref name="onText"/> receives the visible text piece by piece as it becomes final. Cancellation
    /// ends the generation early with <see cref="FinishReason.Cancelled"/> rather than throwing.
    /// </summary>
    /// <exception cref="ContextOverflowException">The prompt does not leave room for one generated token.</exception>
    public GenerationResult Generate(ReadOnlySpan<int> prompt, GenerationOptions options, IRandomSource random,
                                     Action<string>? onText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        CheckPrompt(prompt);
        var sampler = SamplerFor(options.Sampling);

        var clock = Stopwatch.StartNew();
        int reused = ReuseCachedPrefix(prompt);
        ReadOnlySpan<float> logits;
        try
        {
            logits = _runner.Prefill(_sequence, prompt[reused..]);
        }
        catch
        {
            // Chunks evaluated before the failure are in the cache but not in _cached: drop them.
            _runner.Cache.Truncate(_sequence, reused);
            throw;
        }
        for (int i = reused; i < prompt.Length; i++) _cached.Add(prompt[i]);

        var detokenizer = new StreamingDetokenizer(_tokenizer, unparseSpecial: false);
        var stops = new StopStringMatcher(options.Sampling.StopStrings);
        var text = new StringBuilder();
        var generated = new List<int>();
        TimeSpan prefillTime = TimeSpan.Zero;
        int decodeSteps = 0, sampled = 0;
        int? endToken = null;
        FinishReason finish;

        while (true)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                finish = FinishReason.Cancelled;
                break;
            }
            int token = sampler.Sample(logits, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_cached), random).TokenId;
            if (++sampled == 1)
            {
                // The prefill phase ends with the first token: its time is the time to first token.
                prefillTime = clock.Elapsed;
                clock.Restart();
            }

            bool endOfGeneration = _tokenizer.IsEndOfGeneration(token);
            if (endOfGeneration || options.Sampling.IsStopToken(token))
            {
                finish = endOfGeneration ? FinishReason.EndOfGeneration : FinishReason.StopToken;
                endToken = token;
                break;
            }
            generated.Add(token);
            Emit(stops.Push(detokenizer.Push(token)), text, onText);
            if (stops.IsStopped)
            {
                finish = FinishReason.StopString;
                break;
            }
            if (options.MaxTokens > 0 && generated.Count >= options.MaxTokens)
            {
                finish = FinishReason.MaxTokens;
                break;
            }
            if (_cached.Count >= _runner.ContextLength)
            {
                finish = FinishReason.ContextFull;
                break;
            }
            logits = _runner.Decode(_sequence, token);
            _cached.Add(token);
            decodeSteps++;
        }

        if (!stops.IsStopped)
        {
            // An unfinished character at the very end still becomes text (U+FFFD), then anything held back.
            Emit(stops.Push(detokenizer.Flush()), text, onText);
            if (!stops.IsStopped) Emit(stops.Flush(), text, onText);
        }
        if (sampled == 0) prefillTime = clock.Elapsed;
        var decodeTime = sampled == 0 ? TimeSpan.Zero : clock.Elapsed;

        return new GenerationResult
        {
            Text = text.ToString(),
            TokenIds = generated,
            EndTokenId = endToken,
            FinishReason = stops.IsStopped ? FinishReason.StopString : finish,
            PromptTokens = prompt.Length,
            ReusedPromptTokens = reused,
            PrefillTime = prefillTime,
            DecodeSteps = decodeSteps,
            DecodeTime = decodeTime,
        };
    }

    /// <summary>Checks the prompt before the cache is touched, so a bad prompt leaves it as it was.</summary>
    void CheckPrompt(ReadOnlySpan<int> prompt)
    {
        if (prompt.IsEmpty) throw new ArgumentException("the prompt has no tokens");
        if (prompt.Length >= _runner.ContextLength)
            throw new ContextOverflowException(
                $"the prompt is {prompt.Length} tokens but the context length is {_runner.ContextLength}, " +
                "which leaves no room for an answer; shorten the prompt or use a larger context");
        foreach (int id in prompt)
            if ((uint)id >= (uint)_runner.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(prompt), $"prompt token id {id} is outside the vocabulary (0..{_runner.VocabularySize - 1})");
    }

    /// <summary>Keeps the longest prefix of the cached tokens that the prompt starts with (but at least the
    /// prompt's last token is evaluated again: its logits are needed) and drops the rest from the cache.</summary>
    int ReuseCachedPrefix(ReadOnlySpan<int> prompt)
    {
        int common = 0;
        int limit = Math.Min(_cached.Count, prompt.Length - 1);
        while (common < limit && _cached[common] == prompt[common]) common++;
        _runner.Cache.Truncate(_sequence, common);
        _cached.RemoveRange(common, _cached.Count - common);
        return common;
    }

    Sampler SamplerFor(SamplingParams parameters)
    {
        // A sampler owns vocabulary-sized buffers: keep it while the parameters stay the same (every chat turn).
        if (_sampler == null || !Equals(_sampler.Parameters, parameters))
            _sampler = new Sampler(parameters, _runner.VocabularySize);
        return _sampler;
    }

    static void Emit(ReadOnlySpan<char> piece, StringBuilder text, Action<string>? onText)
    {
        if (piece.IsEmpty) return;
        text.Append(piece);
        onText?.Invoke(piece.ToString());
    }
}
