namespace Specula.Sampling;

/// <summary>
/// Finds stop strings in streamed text. Each <see cref="Push"/> takes the next decoded piece and returns
/// the text that is now safe to show: text that could still be the start of a stop string is held back
/// until it either completes one (then it is dropped, with everything after it, and
/// <see cref="IsStopped"/> turns true) or turns out not to (then it is released). The result does not
/// depend on how the text was cut into pieces: a stop triggers at the earliest position where one ends,
/// and if several end there the longest wins (so all of it is removed).
/// </summary>
public sealed class StopStringMatcher
{
    readonly string[] _stopStrings;
    readonly int _longest;
    char[] _buffer = [];
    int _start, _end; // pending (held back) text is _buffer[_start.._end)

    public StopStringMatcher(IEnumerable<string>? stopStrings)
    {
        _stopStrings = stopStrings is null ? [] : [.. stopStrings];
        for (int i = 0; i < _stopStrings.Length; i++)
        {
            if (string.IsNullOrEmpty(_stopStrings[i]))
                throw new ArgumentException($"stop string {i} is empty; a stop string needs at least one character", nameof(stopStrings));
            _longest = Math.Max(_longest, _stopStrings[i].Length);
        }
    }

    public IReadOnlyList<string> StopStrings => _stopStrings;

    /// <summary>True once a stop string has completed; the generation should end.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The stop string that completed, or null.</summary>
    public string? MatchedStopString { get; private set; }

    /// <summary>How many characters are currently held back as a possible start of a stop string.</summary>
    public int HeldBackLength => _end - _start;

    /// <summary>
    /// Appends <paramref name="piece"/> and returns the text that can be emitted now (possibly empty). The
    /// returned span is valid until the next call on this matcher.
    /// </summary>
    public ReadOnlySpan<char> Push(ReadOnlySpan<char> piece)
    {
        if (IsStopped)
            throw new InvalidOperationException($"the stop string \"{MatchedStopString}\" already ended this text; call Reset to start a new one");
        if (_stopStrings.Length == 0)
            return piece;

        Append(piece);
        ReadOnlySpan<char> pending = _buffer.AsSpan(0, _end);

        // The held-back text holds no complete stop string, so a match found now ends inside the new piece.
        int matchStart = -1, matchEnd = int.MaxValue;
        string? matched = null;
        foreach (string stop in _stopStrings)
        {
            int at = pending.IndexOf(stop.AsSpan(), StringComparison.Ordinal);
            if (at < 0)
                continue;
            int end = at + stop.Length;
            if (end < matchEnd || (end == matchEnd && at < matchStart))
                (matchStart, matchEnd, matched) = (at, end, stop);
        }
        if (matched is not null)
        {
            IsStopped = true;
            MatchedStopString = matched;
            _start = _end = 0;
            return _buffer.AsSpan(0, matchStart);
        }

        int hold = HoldBackStart(pending);
        _start = hold;
        return _buffer.AsSpan(0, hold);
    }

    /// <summary>
    /// The text ends without a stop string: returns whatever was held back (empty after a stop). The
    /// returned span is valid until the next call on this matcher.
    /// </summary>
    public ReadOnlySpan<char> Flush()
    {
        ReadOnlySpan<char> rest = _buffer.AsSpan(_start, _end - _start);
        _start = _end = 0;
        return rest;
    }

    /// <summary>Forgets all text and any match, to follow a new generation.</summary>
    public void Reset()
    {
        _start = _end = 0;
        IsStopped = false;
        MatchedStopString = null;
    }

    /// <summary>Moves the held-back text to the front of the buffer and appends the piece after it.</summary>
    void Append(ReadOnlySpan<char> piece)
    {
        int held = _end - _start;
        if (held + piece.Length > _buffer.Length)
        {
            var larger = new char[Math.Max(held + piece.Length, Math.Max(2 * _buffer.Length, 2 * _longest))];
            _buffer.AsSpan(_start, held).CopyTo(larger);
            _buffer = larger;
        }
        else if (_start > 0)
        {
            _buffer.AsSpan(_start, held).CopyTo(_buffer);
        }
        piece.CopyTo(_buffer.AsSpan(held));
        _start = 0;
        _end = held + piece.Length;
    }

    /// <summary>The earliest position from which the rest of the text is a proper prefix of some stop string.</summary>
    int HoldBackStart(ReadOnlySpan<char> text)
    {
        for (int p = Math.Max(0, text.Length - (_longest - 1)); p < text.Length; p++)
        {
            ReadOnlySpan<char> tail = text[p..];
            foreach (string stop in _stopStrings)
                if (stop.Length > tail.Length && stop.AsSpan().StartsWith(tail, StringComparison.Ordinal))
                    return p;
        }
        return text.Length;
    }
}
