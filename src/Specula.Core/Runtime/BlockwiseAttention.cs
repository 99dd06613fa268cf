using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>
/// Scaled dot-product attention over an F16 KV cache, blockwise with an online softmax (as flash attention
/// does): the query heads that share one key/value head walk the visible rows (a contiguous run
/// [0, prefixRows) then the explicit extra rows of a token tree, in increasing order) in tiles of
/// <see cref="TileRows"/>. Each tile's key and value rows are converted from half to float once, into
/// scratch, for the whole group (grouped-query attention reads every row once). Per query head a running
/// maximum m and sum l of the exponentials are kept; when a tile raises the maximum, the output accumulator
/// and l are rescaled by e^(m_old − m_new) before the tile's weighted values are added; the accumulator is
/// divided by l at the end. Memory per call is independent of the sequence length.
/// <para>Scores are float dot products (two 16-lane fused accumulators, lane sums in the order of
/// <see cref="ILanes16{T}.Sum"/>) times the scale; exponentials are <see cref="GgmlExp"/>. Tiles follow the
/// position in the visible list, not the cache row, so a tree node gets exactly the result of its path as a
/// plain sequence; nothing depends on the batch, the thread or the vector width.</para>
/// </summary>
static unsafe class BlockwiseAttention
{
    const int Lanes = KvCache.AttentionLanes;

    /// <summary>Visible rows per tile: two 16-lane units. Large enough that the rescaling (once per tile at
    /// most) is cheap next to the rows' work, small enough that a tile's converted keys and values of a
    /// 128-wide head (2 x 16 KiB) stay in the L1 cache.</summary>
    internal const int TileRows = 2 * Lanes;

    /// <summary>One thread's scratch, sized for a group of query heads and the head sizes (not the context).</summary>
    internal sealed class Scratch
    {
        public readonly int GroupCapacity, KeyStride, ValueStride;
        public readonly float[] Queries;       // group x KeyStride (zero-padded past the head size)
        public readonly float[] Keys;          // TileRows x KeyStride, the tile's converted key rows
        public readonly float[] Values;        // TileRows x ValueStride, the tile's converted value rows
        public readonly float[] Scores;        // group x TileRows: scores, then unnormalised probabilities
        public readonly float[] Accumulators;  // group x ValueStride: the running weighted sum of values
        public readonly float[] Max, Sum;      // group: running maximum score and sum of exponentials

        public Scratch(int groupSize, int headSize, int valueSize)
        {
            if (groupSize <= 0 || headSize <= 0 || valueSize <= 0)
                throw new ArgumentException("attention scratch needs a positive group size and head sizes");
            GroupCapacity = groupSize;
            KeyStride = (headSize + Lanes - 1) & ~(Lanes - 1);
            ValueStride = (valueSize + Lanes - 1) & ~(Lanes - 1);
            Queries = new float[groupSize * KeyStride];
            Keys = new float[TileRows * KeyStride];
            Values = new float[TileRows * ValueStride];
            Scores = new float[groupSize * TileRows];
            Accumulators = new float[groupSize * ValueStride];
            Max = new float[groupSize];
            Sum = new float[groupSize];
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
        if (cache.Type != KvCacheType.F16) throw new ArgumentException($"blockwise attention reads an F16 cache, this one is {cache.Type}");
        if (headSize != cache.KeyLength || valueSize != cache.ValueLength)
            throw new ArgumentException($"head sizes {headSize}/{valueSize} differ from the cache's {cache.KeyLength}/{cache.ValueLength}");
        if ((uint)kvHead >= (uint)cache.KvHeadCount) throw new ArgumentOutOfRangeException(nameof(kvHead));
        if (queries.Length < groupSize * headSize || outputs.Length < groupSize * valueSize)
            throw new ArgumentException("attention buffers are too small");
        if (groupSize > scratch.GroupCapacity || scratch.KeyStride < headSize || scratch.ValueStride < valueSize)
            throw new ArgumentException($"attention scratch is sized for {scratch.GroupCapacity} heads of {scratch.KeyStride}/{scratch.ValueStride}");
        int count = prefixRows + extraRows.Length;
        if (count <= 0) throw new ArgumentException("attention needs at least one visible row");

        var rows = new VisibleHalfRows
        {
            BlockShift = BitOperations.Log2((uint)cache.BlockSize), KvHeads = cache.KvHeadCount, KvHead = kvHead,
            Prefix = prefixRows, HeadSize = headSize, ValueSize = valueSize,
        };
        fixed (float* q = queries, o = outputs)
        fixed (ushort* keys = cache.HalfKeys(layer), values = cache.HalfValues(layer))
        fixed (int* extra = extraRows, blocks = table.Blocks)
        fixed (float* sq = scratch.Queries, sk = scratch.Keys, sv = scratch.Values, ss = scratch.Scores)
        fixed (float* sa = scratch.Accumulators, sm = scratch.Max, sl = scratch.Sum)
        {
            rows.Blocks = blocks;
            rows.Extra = extra;
            rows.Keys = keys;
            rows.Values = values;
            var work = new Tiles
            {
                GroupSize = groupSize, Count = count, Scale = scale,
                KeyStride = scratch.KeyStride, ValueStride = scratch.ValueStride,
                Queries = sq, Keys = sk, Values = sv, Scores = ss, Accumulators = sa, Max = sm, Sum = sl,
            };
            // Zero-padded copies of the queries: the dot products run over whole 16-lane steps.
            for (int g = 0; g < groupSize; g++)
            {
                new ReadOnlySpan<float>(q + g * headSize, headSize).CopyTo(new Span<float>(sq + g * work.KeyStride, headSize));
                new Span<float>(sq + g * work.KeyStride + headSize, work.KeyStride - headSize).Clear();
            }
            switch (Lanes16.Current)
            {
                case Lanes16.Width.W512: Compute<Lanes512>(work, rows, o); break;
                case Lanes16.Width.W256: Compute<Lanes256>(work, rows, o); break;
                default: Compute<Lanes128>(work, rows, o); break;
            }
        }
    }

    /// <summary>Where the k-th visible row of one key/value head lies in a layer's half key and value arrays
    /// (row-major within a block's head slab, see <see cref="KvCache"/>).</summary>
    struct VisibleHalfRows
    {
        public int* Blocks;
        public int* Extra;
        public ushort* Keys, Values;
        public int BlockShift, KvHeads, KvHead, Prefix, HeadSize, ValueSize;

        /// <summary>Row index of visible row k counted over all heads of the cache: its key is at
        /// HeadSize times it, its value at ValueSize times it.</summary>
        readonly long Slot(int k)
        {
            int row = k < Prefix ? k : Extra[k - Prefix];
            return (((long)Blocks[row >> BlockShift] * KvHeads + KvHead) << BlockShift) + (row & ((1 << BlockShift) - 1));
        }

        public readonly ushort* Key(int k) => Keys + Slot(k) * HeadSize;
        public readonly ushort* Value(int k) => Values + Slot(k) * ValueSize;
    }

    struct Tiles
    {
        public int GroupSize, Count, KeyStride, ValueStride;
        public float Scale;
        public float* Queries, Keys, Values, Scores, Accumulators, Max, Sum;
    }

    [SkipLocalsInit]
    static void Compute<T>(in Tiles w, in VisibleHalfRows rows, float* outputs) where T : unmanaged, ILanes16<T>
    {
        int groupSize = w.GroupSize, keyStride = w.KeyStride, valueStride = w.ValueStride;
        T* partial = stackalloc T[Lanes];
        float* sums = stackalloc float[Lanes];
        new Span<float>(w.Accumulators, groupSize * valueStride).Clear();
        new Span<float>(w.Sum, groupSize).Clear();
        new Span<float>(w.Max, groupSize).Fill(float.NegativeInfinity);

        for (int first = 0; first < w.Count; first += TileRows)
        {
            int inTile = Math.Min(TileRows, w.Count - first);
            int units = (inTile + Lanes - 1) / Lanes;
            for (int j = 0; j < inTile; j++)
            {
                HalfConversion.Row<T>(rows.Key(first + j), rows.HeadSize, w.Keys + j * keyStride, keyStride);
                HalfConversion.Row<T>(rows.Value(first + j), rows.ValueSize, w.Values + j * valueStride, valueStride);
            }

            for (int g = 0; g < groupSize; g++)
            {
                float* q = w.Queries + g * keyStride;
                float* scores = w.Scores + g * TileRows;

                // Scores of the tile's rows, sixteen lane sums at a time; lanes past the last row are -inf.
                for (int u = 0; u < units; u++)
                {
                    int inUnit = Math.Min(Lanes, inTile - u * Lanes);
                    for (int lane = 0; lane < inUnit; lane++)
                        partial[lane] = Dot<T>(q, w.Keys + (u * Lanes + lane) * keyStride, keyStride);
                    for (int lane = inUnit; lane < Lanes; lane++) partial[lane] = T.Broadcast(0f);
                    T.SumEach(partial, sums);
                    T.Store(T.Load(sums) * T.Broadcast(w.Scale), scores + u * Lanes);
                    for (int lane = inUnit; lane < Lanes; lane++) scores[u * Lanes + lane] = float.NegativeInfinity;
                }

                // Online softmax: a new maximum rescales what was accumulated under the old one.
                var tileMax = T.Load(scores);
                for (int u = 1; u < units; u++) tileMax = T.Max(tileMax, T.Load(scores + u * Lanes));
                float oldMax = w.Max[g], newMax = MathF.Max(oldMax, T.MaxAcross(tileMax));
                if (newMax > oldMax && oldMax != float.NegativeInfinity)
                {
                    float factor = MathF.Exp(oldMax - newMax);
                    w.Sum[g] *= factor;
                    var f = T.Broadcast(factor);
                    float* accumulator = w.Accumulators + g * valueStride;
                    for (int d = 0; d < valueStride; d += Lanes) T.Store(T.Load(accumulator + d) * f, accumulator + d);
                }
                w.Max[g] = newMax;

                // Exponentials relative to the running maximum; the padding lanes of a partial unit get 0.
                var shift = T.Broadcast(newMax);
                float tileSum = 0;
                for (int u = 0; u < units; u++)
                {
                    float* s = scores + u * Lanes;
                    int inUnit = Math.Min(Lanes, inTile - u * Lanes);
                    if (inUnit < Lanes)
                    {
                        for (int lane = inUnit; lane < Lanes; lane++) s[lane] = newMax;
                        T.Store(T.And(GgmlExp.Of(T.Load(s) - shift), Lanes16.FirstLanes<T>(inUnit)), s);
                    }
                    else T.Store(GgmlExp.Of(T.Load(s) - shift), s);
                    tileSum += T.Sum(T.Load(s));
                }
                w.Sum[g] += tileSum;

                AccumulateValues<T>(scores, w.Values, inTile, valueStride, w.Accumulators + g * valueStride);
            }
        }

        for (int g = 0; g < groupSize; g++)
        {
            float* accumulator = w.Accumulators + g * valueStride;
            float* output = outputs + g * rows.ValueSize;
            float sum = w.Sum[g];
            for (int d = 0; d < rows.ValueSize; d++) output[d] = accumulator[d] / sum;
        }
    }

    /// <summary>accumulator += Σ_j p[j] · values[j] over a tile's rows, one 16-dimension slice at a time so the
    /// slice's accumulator stays in registers while the rows stream past.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AccumulateValues<T>(float* p, float* values, int rows, int stride, float* accumulator) where T : unmanaged, ILanes16<T>
    {
        for (int d = 0; d < stride; d += Lanes)
        {
            var a = T.Load(accumulator + d);
            float* v = values + d;
            for (int j = 0; j < rows; j++, v += stride) a = T.MultiplyAdd(T.Broadcast(p[j]), T.Load(v), a);
            T.Store(a, accumulator + d);
        }
    }

    /// <summary>Dot product over <paramref name="length"/> floats (a multiple of 16) up to the lane sum: two
    /// accumulators, even and odd 16-lane steps, added at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Dot<T>(float* a, float* b, int length) where T : unmanaged, ILanes16<T>
    {
        var s0 = T.Broadcast(0f);
        var s1 = s0;
        int i = 0;
        for (; i + 2 * Lanes <= length; i += 2 * Lanes)
        {
            s0 = T.MultiplyAdd(T.Load(a + i), T.Load(b + i), s0);
            s1 = T.MultiplyAdd(T.Load(a + i + Lanes), T.Load(b + i + Lanes), s1);
        }
        if (i < length) s0 = T.MultiplyAdd(T.Load(a + i), T.Load(b + i), s0);
        return s0 + s1;
    }
}
