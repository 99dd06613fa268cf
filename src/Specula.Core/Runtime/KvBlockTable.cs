namespace Specula.Runtime;

/// <summary>
/// One sequence's view of the paged KV cache: row r of the sequence lives in physical block
/// Blocks[r / BlockSize] at offset r % BlockSize. Also records, per layer, how many leading rows hold
/// valid keys and values, so rows written by an early-exit (layer-range) pass cannot silently be read by
/// a layer that never computed them.
/// </summary>
public sealed class KvBlockTable
{
    internal int[] Blocks;
    internal readonly int[] LayerLengths;

    /// <summary>Number of rows (tokens) the sequence holds.</summary>
    public int Length { get; internal set; }
    /// <summary>Number of blocks in the table.</summary>
    public int BlockCount { get; internal set; }

    internal KvBlockTable(int layerCount, int initialBlocks)
    {
        Blocks = new int[Math.Max(initialBlocks, 1)];
        LayerLengths = new int[layerCount];
    }

    /// <summary>Physical block holding the sequence's <paramref name="index"/>-th block of rows.</summary>
    public int Block(int index) => (uint)index < (uint)BlockCount ? Blocks[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Leading rows whose keys and values are valid in <paramref name="layer"/> (less than
    /// <see cref="Length"/> after an early-exit pass that skipped the layer).</summary>
    public int ValidRows(int layer) => LayerLengths[layer];

    internal void EnsureBlockCapacity(int blocks)
    {
        if (Blocks.Length < blocks) Array.Resize(ref Blocks, Math.Max(blocks, Blocks.Length * 2));
    }

    internal void CopyFrom(KvBlockTable other)
    {
        EnsureBlockCapacity(other.BlockCount);
        Array.Copy(other.Blocks, Blocks, other.BlockCount);
        Array.Copy(other.LayerLengths, LayerLengths, LayerLengths.Length);
        BlockCount = other.BlockCount;
        Length = other.Length;
    }
}
