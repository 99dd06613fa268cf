namespace Specula.Runtime;

/// <summary>
/// The input of one forward pass: new tokens for one or more sequences, each with its position and,
/// optionally, its parent in a token tree. A token attends to its sequence's cached prefix plus its
/// ancestors among the same sequence's tokens in this batch (and itself). Tokens added with
/// <see cref="Add"/> form a chain (each one's parent is the sequence's previous token in the batch), which
/// covers prefill chunks, decode steps and draft chains; <see cref="AddTreeNode"/> builds trees for
/// speculative verification. Rows are numbered in the order tokens are added; the caller marks the rows
/// whose logits it needs. Reusable: <see cref="Clear"/> and fill again, nothing is allocated.
/// </summary>
public sealed class ForwardBatch
{
    readonly int[] _tokens, _positions, _sequences, _parents, _localIndex;
    readonly bool[] _wantsLogits;
    // Distinct sequences of the batch in first-seen order, with their token counts so far.
    readonly int[] _distinctSequences, _distinctCounts;
    int _distinctCount;

    public int Capacity { get; }
    public int Count { get; private set; }
    /// <summary>How many rows asked for logits.</summary>
    public int LogitRowCount { get; private set; }

    public ForwardBatch(int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), "batch capacity must be positive");
        Capacity = capacity;
        _tokens = new int[capacity];
        _positions = new int[capacity];
        _sequences = new int[capacity];
        _parents = new int[capacity];
        _localIndex = new int[capacity];
        _wantsLogits = new bool[capacity];
        _distinctSequences = new int[capacity];
        _distinctCounts = new int[capacity];
    }

    /// <summary>Adds the next token of <paramref name="sequence"/>'s chain; returns its row.</summary>
    public int Add(int sequence, int token, int position, bool wantsLogits = false)
    {
        int local = CountOf(sequence);
        return Append(sequence, token, position, local - 1, wantsLogits);
    }

    /// <summary>Adds a tree node; <paramref name="parent"/> is the index of its parent among this sequence's
    /// tokens in this batch (0 = the sequence's first token added), or -1 to hang it directly off the cached
    /// prefix. Parents must be added before their children. Returns the node's row.</summary>
    public int AddTreeNode(int sequence, int token, int position, int parent, bool wantsLogits = false)
    {
        int local = CountOf(sequence);
        if (parent < -1 || parent >= local)
            throw new ArgumentOutOfRangeException(nameof(parent), $"parent {parent} of sequence {sequence}'s token #{local} must be -1 or one of its {local} earlier tokens in the batch");
        return Append(sequence, token, position, parent, wantsLogits);
    }

    public void Clear()
    {
        Count = 0;
        LogitRowCount = 0;
        _distinctCount = 0;
    }

    public ReadOnlySpan<int> Tokens => _tokens.AsSpan(0, Count);
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Count);
    public ReadOnlySpan<int> Sequences => _sequences.AsSpan(0, Count);
    /// <summary>Per row: the parent's index among the sequence's batch tokens, or -1.</summary>
    public ReadOnlySpan<int> Parents => _parents.AsSpan(0, Count);
    /// <summary>Per row: the token's index among its sequence's tokens in this batch.</summary>
    public ReadOnlySpan<int> LocalIndices => _localIndex.AsSpan(0, Count);
    public ReadOnlySpan<bool> WantsLogits => _wantsLogits.AsSpan(0, Count);
    /// <summary>The sequences present, in first-seen order.</summary>
    public ReadOnlySpan<int> DistinctSequences => _distinctSequences.AsSpan(0, _distinctCount);
    /// <summary>Tokens per sequence, aligned with <see cref="DistinctSequences"/>.</summary>
    public ReadOnlySpan<int> DistinctSequenceCounts => _distinctCounts.AsSpan(0, _distinctCount);

    int CountOf(int sequence)
    {
        for (int i = 0; i < _distinctCount; i++)
            if (_distinctSequences[i] == sequence) return _distinctCounts[i];
        return 0;
    }

    int Append(int sequence, int token, int position, int parent, bool wantsLogits)
    {
        if (Count == Capacity) throw new InvalidOperationException($"the batch is full ({Capacity} tokens)");
        if (sequence < 0) throw new ArgumentOutOfRangeException(nameof(sequence), $"sequence id {sequence} is negative");
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position), $"position {position} is negative");
        int slot = -1;
        for (int i = 0; i < _distinctCount; i++)
            if (_distinctSequences[i] == sequence) { slot = i; break; }
        if (slot < 0)
        {
            slot = _distinctCount++;
            _distinctSequences[slot] = sequence;
            _distinctCounts[slot] = 0;
        }
        int row = Count++;
        _tokens[row] = token;
        _positions[row] = position;
        _sequences[row] = sequence;
        _parents[row] = parent;
        _localIndex[row] = _distinctCounts[slot]++;
        _wantsLogits[row] = wantsLogits;
        if (wantsLogits) LogitRowCount++;
        return row;
    }
}
