using System.Buffers.Binary;
using System.Numerics;

namespace Specula.Tokenization;

/// <summary>
/// A hash map from byte sequences to ints that is looked up with spans, so the tokenizers' inner loops find a
/// token by the bytes of a piece of the input without allocating a string. Keys live in one shared byte blob;
/// open addressing with linear probing.
/// </summary>
sealed class ByteSequenceMap
{
    byte[] _blob;
    int _blobLength;
    int[] _keyStart;
    int[] _keyLength;
    int[] _keyHash;
    int[] _values;
    int[] _slots; // entry index + 1; 0 = empty
    int _mask;

    public int Count { get; private set; }

    public ByteSequenceMap(int expectedCount, int expectedBytes)
    {
        expectedCount = Math.Max(expectedCount, 4);
        _blob = new byte[Math.Max(expectedBytes, 16)];
        _keyStart = new int[expectedCount];
        _keyLength = new int[expectedCount];
        _keyHash = new int[expectedCount];
        _values = new int[expectedCount];
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)(expectedCount * 2));
        _slots = new int[capacity];
        _mask = capacity - 1;
    }

    /// <summary>A fast multiply-xorshift hash over 8-byte words (keys are short: token texts).</summary>
    static int Hash(ReadOnlySpan<byte> key)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15;
        ulong hash = (ulong)key.Length * Multiplier;
        while (key.Length >= 8)
        {
            hash = (hash ^ BinaryPrimitives.ReadUInt64LittleEndian(key)) * Multiplier;
            hash ^= hash >> 29;
            key = key[8..];
        }
        if (!key.IsEmpty)
        {
            ulong tail = 0;
            for (int i = 0; i < key.Length; i++) tail |= (ulong)key[i] << (8 * i);
            hash = (hash ^ tail) * Multiplier;
            hash ^= hash >> 29;
        }
        hash *= Multiplier;
        return (int)(hash >> 32) ^ (int)hash;
    }

    public bool TryGetValue(ReadOnlySpan<byte> key, out int value)
    {
        int hash = Hash(key);
        for (int slot = hash & _mask; ; slot = (slot + 1) & _mask)
        {
            int entry = _slots[slot] - 1;
            if (entry < 0) { value = 0; return false; }
            if (_keyHash[entry] == hash && _blob.AsSpan(_keyStart[entry], _keyLength[entry]).SequenceEqual(key))
            {
                value = _values[entry];
                return true;
            }
        }
    }

    /// <summary>Adds the key with <paramref name="value"/>, or overwrites the value of an existing key.</summary>
    public void Set(ReadOnlySpan<byte> key, int value) => AddOrGet(key, value, overwrite: true);

    /// <summary>The value of the key if present; otherwise adds it with <paramref name="valueIfAbsent"/> and returns that.</summary>
    public int GetOrAdd(ReadOnlySpan<byte> key, int valueIfAbsent) => AddOrGet(key, valueIfAbsent, overwrite: false);

    int AddOrGet(ReadOnlySpan<byte> key, int value, bool overwrite)
    {
        int hash = Hash(key);
        int slot = hash & _mask;
        for (; ; slot = (slot + 1) & _mask)
        {
            int entry = _slots[slot] - 1;
            if (entry < 0) break;
            if (_keyHash[entry] == hash && _blob.AsSpan(_keyStart[entry], _keyLength[entry]).SequenceEqual(key))
            {
                if (overwrite) _values[entry] = value;
                return _values[entry];
            }
        }

        int index = Count;
        if (index == _values.Length) GrowEntries();
        if (_blobLength + key.Length > _blob.Length)
            Array.Resize(ref _blob, Math.Max(_blob.Length * 2, _blobLength + key.Length));
        key.CopyTo(_blob.AsSpan(_blobLength));
        _keyStart[index] = _blobLength;
        _keyLength[index] = key.Length;
        _keyHash[index] = hash;
        _values[index] = value;
        _blobLength += key.Length;
        _slots[slot] = index + 1;
        Count++;
        if (Count * 2 > _slots.Length) Rehash();
        return value;
    }

    void GrowEntries()
    {
        int size = _values.Length * 2;
        Array.Resize(ref _keyStart, size);
        Array.Resize(ref _keyLength, size);
        Array.Resize(ref _keyHash, size);
        Array.Resize(ref _values, size);
    }

    void Rehash()
    {
        var slots = new int[_slots.Length * 2];
        int mask = slots.Length - 1;
        for (int entry = 0; entry < Count; entry++)
        {
            int slot = _keyHash[entry] & mask;
            while (slots[slot] != 0) slot = (slot + 1) & mask;
            slots[slot] = entry + 1;
        }
        _slots = slots;
        _mask = mask;
    }
}
