using System.Numerics;

namespace Specula.Tokenization;

/// <summary>
/// BPE merges: (left symbol, right symbol) to (rank, merged symbol), open addressing over a well-mixed hash of the
/// pair (a plain <c>long</c> key hashes <c>left ^ right</c>, which piles up every (x, x) pair in one chain).
/// </summary>
sealed class MergeTable
{
    long[] _keys;
    int[] _ranks;
    int[] _results;
    bool[] _used;
    int _mask;

    public int Count { get; private set; }

    public MergeTable(int expectedCount)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, expectedCount * 2));
        _keys = new long[capacity];
        _ranks = new int[capacity];
        _results = new int[capacity];
        _used = new bool[capacity];
        _mask = capacity - 1;
    }

    static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    static int Slot(long key, int mask) => (int)((ulong)key * 0x9E3779B97F4A7C15 >> 32) & mask;

    /// <summary>Adds the merge unless the pair already has one (the first rank of a pair wins).</summary>
    public void TryAdd(int left, int right, int rank, int result)
    {
        long key = Key(left, right);
        int slot = Slot(key, _mask);
        while (_used[slot])
        {
            if (_keys[slot] == key) return;
            slot = (slot + 1) & _mask;
        }
        _used[slot] = true;
        _keys[slot] = key;
        _ranks[slot] = rank;
        _results[slot] = result;
        if (++Count * 2 > _keys.Length) Grow();
    }

    public bool TryGet(int left, int right, out int rank, out int result)
    {
        long key = Key(left, right);
        for (int slot = Slot(key, _mask); _used[slot]; slot = (slot + 1) & _mask)
        {
            if (_keys[slot] != key) continue;
            rank = _ranks[slot];
            result = _results[slot];
            return true;
        }
        rank = result = 0;
        return false;
    }

    void Grow()
    {
        var (keys, ranks, results, used) = (_keys, _ranks, _results, _used);
        int capacity = keys.Length * 2;
        _keys = new long[capacity];
        _ranks = new int[capacity];
        _results = new int[capacity];
        _used = new bool[capacity];
        _mask = capacity - 1;
        for (int i = 0; i < keys.Length; i++)
        {
            if (!used[i]) continue;
            int slot = Slot(keys[i], _mask);
            while (_used[slot]) slot = (slot + 1) & _mask;
            _used[slot] = true;
            _keys[slot] = keys[i];
            _ranks[slot] = ranks[i];
            _results[slot] = results[i];
        }
    }
}
