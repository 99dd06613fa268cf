using System.Runtime.CompilerServices;
using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>
/// Scaled dot-product attention of the query heads that share one key/value head, over the rows of a
/// sequence's KV cache the token may see: a contiguous run [0, prefixRows) followed by explicit extra rows
/// (tree ancestors), always in increasing row order. Each key and value row is read once for the whole
/// group of query heads (grouped-query attention).
/// <para>The arithmetic is that of llama.cpp's CPU backend for one token (without flash attention), so for a
/// plain sequence the result equals its to the bit. The visible rows are taken in units of 16 (the k-th
/// visible row is lane k mod 16 of unit k / 16; lanes past the last row are masked). Scores are ggml's F32 dot
/// products (four 16-lane fused accumulators over 64-element steps, summed (0+2)+(1+3) then across lanes, a
/// scalar tail) times the scale; the softmax is <see cref="Softmax"/> over the units; each output dimension is
/// ggml's F32 dot product of the value column with the probabilities (unit u accumulates into accumulator
/// u mod 4). Lanes follow the position in the visible list, not the cache row, so a tree node gets exactly
/// the result of its path computed as a plain sequence. Nothing depends on the batch, the thread or the
/// vector width.</para>
/// </summary>
static unsafe class Attention
{
    const int Lanes = KvCache.AttentionLanes;
    /// <summary>Value dimensions whose accumulators are kept at once (4 per dimension and head).</summary>
    const int DimensionTile = 8;

    /// <summary>One thread's scratch, sized for a group of query heads and the longest sequence.</summary>
    internal sealed class Scratch
    {
        public readonly float[] Scores;       // group x units x 16
        public readonly float[] Accumulators; // group x 4 x DimensionTile x 16
        public readonly float[] Gathered;     // DimensionTile x 16 values of a unit whose rows are scattered
        public readonly int UnitCapacity;

        public Scratch(int groupSize, int contextLength)
        {
            UnitCapacity = (contextLength + Lanes - 1) / Lanes;
            Scores = new float[groupSize * UnitCapacity * Lanes];
            Accumulators = new float[groupSize * 4 * DimensionTile * Lanes];
            Gathered = new float[DimensionTile * Lanes];
        }
    }

    /// <param name="queries">The group's query heads, <paramref name="groupSize"/> x headSize, consecutive.</param>
    /// <param name="outputs">The group's output heads, groupSize x valueSize, consecutive.</param>
    public static void Group(
        ReadOnlySpan<float> queries, int groupSize, int headSize, float scale,
        KvCache cache, KvBlockTable table, int layer, int kvHead, int valueSize,
        int prefixRows, ReadOnlySpan<int> extraRows,
        Scratch scratch, Span<float> outputs)
    {
        int count = prefixRows + extraRows.Length;
        int units = (count + Lanes - 1) / Lanes;
        if (queries.Length < groupSize * headSize || outputs.Length < groupSize * valueSize)
            throw new ArgumentException("attention buffers are too small");
        if (units > scratch.UnitCapacity || scratch.Scores.Length < groupSize * units * Lanes
            || scratch.Accumulators.Length < groupSize * 4 * DimensionTile * Lanes)
            throw new ArgumentException($"attention scratch holds {scratch.UnitCapacity} units of {Lanes} rows, {count} rows are visible");

        fixed (float* q = queries, keys = cache.Keys(layer), values = cache.Values(layer), o = outputs)
        fixed (float* s = scratch.Scores, acc = scratch.Accumulators, gathered = scratch.Gathered)
        fixed (int* extra = extraRows, blocks = table.Blocks)
        {
            var rows = new VisibleRows
            {
                Blocks = blocks, BlockSize = cache.BlockSize, KvHeads = cache.KvHeadCount, KvHead = kvHead,
                Prefix = prefixRows, Extra = extra, Count = count,
            };
            var shape = new Shape { GroupSize = groupSize, HeadSize = headSize, ValueSize = valueSize, Scale = scale, Units = units };
            switch (Lanes16.Current)
            {
                case Lanes16.Width.W512: Compute<Lanes512>(shape, rows, q, keys, values, s, acc, gathered, o); break;
                case Lanes16.Width.W256: Compute<Lanes256>(shape, rows, q, keys, values, s, acc, gathered, o); break;
                default: Compute<Lanes128>(shape, rows, q, keys, values, s, acc, gathered, o); break;
            }
        }
    }

    struct Shape
    {
        public int GroupSize, HeadSize, ValueSize, Units;
        public float Scale;
    }

    /// <summary>Where the k-th visible row of one key/value head lies in a layer's key and value arrays.</summary>
    struct VisibleRows
    {
        public int* Blocks;
        public int* Extra;
        public int BlockSize, KvHeads, KvHead, Prefix, Count;

        /// <summary>Units made only of prefix rows: 16 consecutive rows of one block.</summary>
        public readonly int ContiguousUnits => Prefix / Lanes;

        public readonly int Row(int k) => k < Prefix ? k : Extra[k - Prefix];

        /// <summary>Index of the head's block slab holding a row, and the row's offset in the block.</summary>
        public readonly long Slab(int row) => (long)Blocks[row / BlockSize] * KvHeads + KvHead;
    }

    static void Compute<T>(in Shape shape, in VisibleRows rows, float* queries, float* keys, float* values,
        float* scores, float* acc, float* gathered, float* outputs) where T : struct, ILanes16<T>
    {
        int groupSize = shape.GroupSize, headSize = shape.HeadSize, valueSize = shape.ValueSize;
        int blockSize = rows.BlockSize, units = shape.Units, stride = units * Lanes;

        // Scores: one dot product per visible row and query head; masked lanes are -inf (probability 0).
        for (int u = 0; u < units; u++)
        {
            for (int lane = 0; lane < Lanes; lane++)
            {
                float* score = scores + u * Lanes + lane;
                int k = u * Lanes + lane;
                if (k >= rows.Count)
                {
                    for (int g = 0; g < groupSize; g++) score[g * stride] = float.NegativeInfinity;
                    continue;
                }
                int row = rows.Row(k);
                float* key = keys + (rows.Slab(row) * blockSize + row % blockSize) * headSize;
                for (int g = 0; g < groupSize; g++)
                    score[g * stride] = Dot<T>(queries + g * headSize, key, headSize) * shape.Scale;
            }
        }

        for (int g = 0; g < groupSize; g++) Softmax.Run<T>(scores + g * stride, stride);

        // Outputs, a tile of value dimensions at a time: four 16-lane accumulators per (head, dimension).
        int accStride = 4 * DimensionTile * Lanes;
        for (int d0 = 0; d0 < valueSize; d0 += DimensionTile)
        {
            int tile = Math.Min(DimensionTile, valueSize - d0);
            new Span<float>(acc, groupSize * accStride).Clear();
            for (int u = 0; u < units; u++)
            {
                // A unit's values for one dimension: 16 consecutive floats of the transposed block, or gathered.
                float* unitValues;
                int unitStride;
                if (u < rows.ContiguousUnits)
                {
                    int first = u * Lanes;
                    unitValues = values + rows.Slab(first) * valueSize * blockSize + (long)d0 * blockSize + first % blockSize;
                    unitStride = blockSize;
                }
                else
                {
                    Gather(rows, values, valueSize, u, d0, tile, gathered);
                    unitValues = gathered;
                    unitStride = Lanes;
                }
                int slot = (u & 3) * DimensionTile * Lanes;
                for (int g = 0; g < groupSize; g++)
                {
                    var p = T.Load(scores + g * stride + u * Lanes);
                    float* a = acc + g * accStride + slot;
                    for (int t = 0; t < tile; t++)
                        T.Store(T.MultiplyAdd(p, T.Load(unitValues + t * unitStride), T.Load(a + t * Lanes)), a + t * Lanes);
                }
            }
            for (int g = 0; g < groupSize; g++)
            {
                float* a = acc + g * accStride;
                int step = DimensionTile * Lanes;
                for (int t = 0; t < tile; t++)
                {
                    int e = t * Lanes;
                    var sum = (T.Load(a + e) + T.Load(a + 2 * step + e)) + (T.Load(a + step + e) + T.Load(a + 3 * step + e));
                    outputs[g * valueSize + d0 + t] = T.Sum(sum);
                }
            }
        }
    }

    /// <summary>Copies dimensions [d0, d0 + tile) of unit <paramref name="u"/>'s rows into 16-lane rows;
    /// lanes past the last visible row get 0 (their probability is 0).</summary>
    static void Gather(in VisibleRows rows, float* values, int valueSize, int u, int d0, int tile, float* gathered)
    {
        int blockSize = rows.BlockSize;
        for (int lane = 0; lane < Lanes; lane++)
        {
            int k = u * Lanes + lane;
            if (k >= rows.Count)
            {
                for (int t = 0; t < tile; t++) gathered[t * Lanes + lane] = 0f;
                continue;
            }
            int row = rows.Row(k);
            float* column = values + rows.Slab(row) * valueSize * blockSize + (long)d0 * blockSize + row % blockSize;
            for (int t = 0; t < tile; t++) gathered[t * Lanes + lane] = column[t * blockSize];
        }
    }
    /// <summary>ggml's F32 dot product (<c>ggml_vec_dot_f32</c> on AVX-512): four 16-lane accumulators over
    /// 64-element steps with fused multiply-adds, combined (0+2)+(1+3), summed across lanes, then the
    /// elements past the last whole step added one by one.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Dot<T>(float* a, float* b, int n) where T : struct, ILanes16<T>
    {
        int whole = n & ~63;
        float sum = 0;
        if (whole > 0)
        {
            var zero = T.Broadcast(0f);
            var s0 = T.MultiplyAdd(T.Load(a), T.Load(b), zero);
            var s1 = T.MultiplyAdd(T.Load(a + 16), T.Load(b + 16), zero);
            var s2 = T.MultiplyAdd(T.Load(a + 32), T.Load(b + 32), zero);
            var s3 = T.MultiplyAdd(T.Load(a + 48), T.Load(b + 48), zero);
            for (int i = 64; i < whole; i += 64)
            {
                s0 = T.MultiplyAdd(T.Load(a + i), T.Load(b + i), s0);
                s1 = T.MultiplyAdd(T.Load(a + i + 16), T.Load(b + i + 16), s1);
                s2 = T.MultiplyAdd(T.Load(a + i + 32), T.Load(b + i + 32), s2);
                s3 = T.MultiplyAdd(T.Load(a + i + 48), T.Load(b + i + 48), s3);
            }
            sum = T.Sum((s0 + s2) + (s1 + s3));
        }
        for (int i = whole; i < n; i++) sum += a[i] * b[i];
        return sum;
    }
}
