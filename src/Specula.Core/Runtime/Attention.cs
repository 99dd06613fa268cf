using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
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

    /// <summary>One thread's scratch, sized for a group of query heads and the longest sequence.</summary>
    internal sealed class Scratch
    {
        public readonly float[] Scores;     // group x units x 16
        public readonly nint[] UnitValues;  // per unit: its value slab (dimension d at BlockSize·d)
        public float[] Staging = [];        // value slabs of units that are not 16 consecutive visible rows
        public readonly int UnitCapacity;

        public Scratch(int groupSize, int contextLength)
        {
            UnitCapacity = ((contextLength + Lanes - 1) / Lanes + 3) & ~3;
            Scores = new float[groupSize * UnitCapacity * Lanes];
            UnitValues = new nint[UnitCapacity];
        }

        /// <summary>Room for <paramref name="floats"/> of staged slabs (one for a partial unit; more only for
        /// token trees, so it stops growing after the first steps).</summary>
        public void EnsureStaging(int floats)
        {
            if (Staging.Length < floats) Staging = new float[Math.Max(floats, Staging.Length * 2)];
        }
    }

    /// <param name="queries">The group's query heads, <paramref name="groupSize"/> x headSize, consecutive.</param>
    /// <param name="outputs">The group's output heads, groupSize x valueSize, consecutive.</param>
    /// <param name="prefetch">Whether to prefetch the cache rows ahead of use: worth it where they are cold (a
    /// decode step reads each row once), not where a batch of many rows keeps rereading them from cache (a
    /// prefill), where the prefetch instructions only cost time. No result depends on it.</param>
    public static void Group(
        ReadOnlySpan<float> queries, int groupSize, int headSize, float scale,
        KvCache cache, KvBlockTable table, int layer, int kvHead, int valueSize,
        int prefixRows, ReadOnlySpan<int> extraRows,
        Scratch scratch, Span<float> outputs, bool prefetch = true)
    {
        if (cache.Type != KvCacheType.F32) throw new ArgumentException($"this attention kernel reads an F32 cache, this one is {cache.Type}");
        int count = prefixRows + extraRows.Length;
        int units = (count + Lanes - 1) / Lanes;
        if (queries.Length < groupSize * headSize || outputs.Length < groupSize * valueSize)
            throw new ArgumentException("attention buffers are too small");
        if (units > scratch.UnitCapacity || scratch.Scores.Length < groupSize * units * Lanes)
            throw new ArgumentException($"attention scratch holds {scratch.UnitCapacity} units of {Lanes} rows, {count} rows are visible");
        var rows = new VisibleRows
        {
            BlockSize = cache.BlockSize, BlockShift = BitOperations.Log2((uint)cache.BlockSize),
            KvHeads = cache.KvHeadCount, KvHead = kvHead, Prefix = prefixRows, Count = count,
            HeadSize = headSize, ValueSize = valueSize,
        };
        // Units staged: the partial or scattered ones.
        scratch.EnsureStaging((units - rows.FullUnits) * valueSize * cache.BlockSize);

        fixed (float* q = queries, keys = cache.Keys(layer), values = cache.Values(layer), o = outputs)
        fixed (float* s = scratch.Scores, staging = scratch.Staging)
        fixed (nint* unitValues = scratch.UnitValues)
        fixed (int* extra = extraRows, blocks = table.Blocks)
        {
            rows.Blocks = blocks;
            rows.Extra = extra;
            rows.Keys = keys;
            rows.Values = values;
            var shape = new Shape { GroupSize = groupSize, Scale = scale, Units = units, Prefetch = prefetch };
            switch (Lanes16.Current)
            {
                case Lanes16.Width.W512: Compute<Lanes512>(shape, rows, q, s, (float**)unitValues, staging, o); break;
                case Lanes16.Width.W256: Compute<Lanes256>(shape, rows, q, s, (float**)unitValues, staging, o); break;
                default: Compute<Lanes128>(shape, rows, q, s, (float**)unitValues, staging, o); break;
            }
        }
    }

    struct Shape
    {
        public int GroupSize, Units;
        public bool Prefetch;
        public float Scale;
    }

    /// <summary>Where the k-th visible row of one key/value head lies in a layer's key and value arrays.</summary>
    struct VisibleRows
    {
        public int* Blocks;
        public int* Extra;
        public float* Keys, Values;
        public int BlockSize, BlockShift, KvHeads, KvHead, Prefix, Count, HeadSize, ValueSize;

        /// <summary>Units whose visible rows are all prefix rows: consecutive rows of one block (the last
        /// one possibly partial).</summary>
        public readonly int ContiguousUnits => Count == Prefix ? (Count + Lanes - 1) / Lanes : Prefix / Lanes;

        /// <summary>Contiguous units with all 16 rows visible.</summary>
        public readonly int FullUnits => Count == Prefix ? Count / Lanes : Prefix / Lanes;

        public readonly int Row(int k) => k < Prefix ? k : Extra[k - Prefix];

        readonly long Slab(int row) => (long)Blocks[row >> BlockShift] * KvHeads + KvHead;

        /// <summary>The key row of visible row k (HeadSize floats).</summary>
        public readonly float* Key(int k)
        {
            int row = Row(k);
            return Keys + ((Slab(row) << BlockShift) + (row & (BlockSize - 1))) * HeadSize;
        }

        /// <summary>Dimension 0 of visible row k's value; dimension d is BlockSize·d further on.</summary>
        public readonly float* Value(int k)
        {
            int row = Row(k);
            return Values + (Slab(row) * ValueSize << BlockShift) + (row & (BlockSize - 1));
        }
    }

    [SkipLocalsInit]
    static void Compute<T>(in Shape shape, in VisibleRows rows, float* queries, float* scores, float** unitValues,
        float* staging, float* outputs) where T : unmanaged, ILanes16<T>
    {
        int groupSize = shape.GroupSize, headSize = rows.HeadSize, valueSize = rows.ValueSize;
        int units = shape.Units, stride = units * Lanes, count = rows.Count;
        int whole = headSize & ~63;
        bool prefetch = shape.Prefetch;
        T* partial = stackalloc T[Lanes];
        float* sums = stackalloc float[Lanes];

        // Scores, a unit of 16 rows at a time: each row's four accumulators combined, the sixteen lane sums
        // together, then the tail past the last 64-element step; lanes past the last row are -inf.
        for (int u = 0; u < units; u++)
        {
            int first = u * Lanes, inUnit = Math.Min(Lanes, count - first);
            bool contiguous = u < rows.ContiguousUnits;
            float* unitKeys = contiguous ? rows.Key(first) : null;
            if (contiguous && prefetch) Prefetch(rows, u);
            for (int g = 0; g < groupSize; g++)
            {
                float* q = queries + g * headSize;
                float* score = scores + g * stride + first;
                if (whole == 64)
                {
                    // One 64-element step (head size 64, the common case): the query's four vectors stay in
                    // registers across the unit's rows.
                    T q0 = T.Load(q), q1 = T.Load(q + 16), q2 = T.Load(q + 32), q3 = T.Load(q + 48);
                    for (int lane = 0; lane < inUnit; lane++)
                    {
                        float* key = contiguous ? unitKeys + lane * headSize : rows.Key(first + lane);
                        var zero = T.Broadcast(0f);
                        partial[lane] = (T.MultiplyAdd(q0, T.Load(key), zero) + T.MultiplyAdd(q2, T.Load(key + 32), zero))
                            + (T.MultiplyAdd(q1, T.Load(key + 16), zero) + T.MultiplyAdd(q3, T.Load(key + 48), zero));
                    }
                    for (int lane = inUnit; lane < Lanes; lane++) partial[lane] = T.Broadcast(0f);
                    T.SumEach(partial, sums);
                }
                else if (whole > 0)
                {
                    for (int lane = 0; lane < inUnit; lane++)
                        partial[lane] = DotSteps<T>(q, contiguous ? unitKeys + lane * headSize : rows.Key(first + lane), whole);
                    for (int lane = inUnit; lane < Lanes; lane++) partial[lane] = T.Broadcast(0f);
                    T.SumEach(partial, sums);
                }
                else new Span<float>(sums, Lanes).Clear();
                if (whole < headSize)
                {
                    for (int lane = 0; lane < inUnit; lane++)
                    {
                        float* key = contiguous ? unitKeys + lane * headSize : rows.Key(first + lane);
                        float sum = sums[lane];
                        for (int i = whole; i < headSize; i++) sum += q[i] * key[i];
                        sums[lane] = sum;
                    }
                }
                T.Store(T.Load(sums) * T.Broadcast(shape.Scale), score);
                for (int lane = inUnit; lane < Lanes; lane++) score[lane] = float.NegativeInfinity;
            }
        }

        // Probabilities.
        for (int g = 0; g < groupSize; g++) Softmax.Run<T>(scores + g * stride, units * Lanes);

        // Every unit's value slab, dimension d at BlockSize·d: in place for whole units of consecutive rows,
        // staged (zero-padded) for the others.
        int full = rows.FullUnits, slab = valueSize * rows.BlockSize;
        for (int u = 0; u < full; u++) unitValues[u] = rows.Value(u * Lanes);
        for (int u = full; u < units; u++)
        {
            float* target = staging + (long)(u - full) * slab;
            Stage<T>(rows, u, target);
            unitValues[u] = target;
        }

        // Outputs: per head and dimension, four 16-lane accumulators over the units (unit u into u mod 4);
        // the sixteen lane sums of a tile of dimensions together.
        for (int g = 0; g < groupSize; g++)
        {
            float* p = scores + g * stride;
            float* output = outputs + g * valueSize;
            for (int d0 = 0; d0 < valueSize; d0 += Lanes)
            {
                int end = Math.Min(d0 + Lanes, valueSize), d = d0;
                for (; d + 4 <= end; d += 4)
                    WeightedSumOfFour<T>(p, unitValues, units, (long)d << rows.BlockShift, rows.BlockSize, partial + (d - d0));
                for (; d < end; d++)
                    WeightedSumOfOne<T>(p, unitValues, units, (long)d << rows.BlockShift, partial + (d - d0));
                for (int t = end - d0; t < Lanes; t++) partial[t] = T.Broadcast(0f);
                T.SumEach(partial, sums);
                for (int t = 0; t < end - d0; t++) output[d0 + t] = sums[t];
            }
        }
    }

    /// <summary>For four value dimensions from <paramref name="offset"/> (dimension stride
    /// <paramref name="dimensionStride"/>): (a0 + a2) + (a1 + a3) per dimension, where a_k accumulates p · v
    /// over the units u with u mod 4 = k, lane by lane with fused multiply-adds. Kept apart, so that its
    /// sixteen accumulators stay in registers.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void WeightedSumOfFour<T>(float* p, float** unitValues, int units, long offset, int dimensionStride, T* result)
        where T : unmanaged, ILanes16<T>
    {
        var zero = T.Broadcast(0f);
        T a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        T a20 = zero, a21 = zero, a22 = zero, a23 = zero, a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        long s = dimensionStride;
        int quads = units & ~3;
        int u = 0;
        for (; u < quads; u += 4, p += 4 * Lanes)
        {
            float* v = unitValues[u] + offset;
            var w = T.Load(p);
            a00 = T.MultiplyAdd(w, T.Load(v), a00);
            a10 = T.MultiplyAdd(w, T.Load(v + s), a10);
            a20 = T.MultiplyAdd(w, T.Load(v + 2 * s), a20);
            a30 = T.MultiplyAdd(w, T.Load(v + 3 * s), a30);
            v = unitValues[u + 1] + offset;
            w = T.Load(p + Lanes);
            a01 = T.MultiplyAdd(w, T.Load(v), a01);
            a11 = T.MultiplyAdd(w, T.Load(v + s), a11);
            a21 = T.MultiplyAdd(w, T.Load(v + 2 * s), a21);
            a31 = T.MultiplyAdd(w, T.Load(v + 3 * s), a31);
            v = unitValues[u + 2] + offset;
            w = T.Load(p + 2 * Lanes);
            a02 = T.MultiplyAdd(w, T.Load(v), a02);
            a12 = T.MultiplyAdd(w, T.Load(v + s), a12);
            a22 = T.MultiplyAdd(w, T.Load(v + 2 * s), a22);
            a32 = T.MultiplyAdd(w, T.Load(v + 3 * s), a32);
            v = unitValues[u + 3] + offset;
            w = T.Load(p + 3 * Lanes);
            a03 = T.MultiplyAdd(w, T.Load(v), a03);
            a13 = T.MultiplyAdd(w, T.Load(v + s), a13);
            a23 = T.MultiplyAdd(w, T.Load(v + 2 * s), a23);
            a33 = T.MultiplyAdd(w, T.Load(v + 3 * s), a33);
        }
        // The last one to three units; the padding units up to a multiple of 4 would add exactly 0 (0 · 0 to
        // an accumulator that, started at +0, is never -0), so they are skipped.
        if (u < units)
        {
            float* v = unitValues[u] + offset;
            var w = T.Load(p);
            a00 = T.MultiplyAdd(w, T.Load(v), a00);
            a10 = T.MultiplyAdd(w, T.Load(v + s), a10);
            a20 = T.MultiplyAdd(w, T.Load(v + 2 * s), a20);
            a30 = T.MultiplyAdd(w, T.Load(v + 3 * s), a30);
            if (u + 1 < units)
            {
                v = unitValues[u + 1] + offset;
                w = T.Load(p + Lanes);
                a01 = T.MultiplyAdd(w, T.Load(v), a01);
                a11 = T.MultiplyAdd(w, T.Load(v + s), a11);
                a21 = T.MultiplyAdd(w, T.Load(v + 2 * s), a21);
                a31 = T.MultiplyAdd(w, T.Load(v + 3 * s), a31);
            }
            if (u + 2 < units)
            {
                v = unitValues[u + 2] + offset;
                w = T.Load(p + 2 * Lanes);
                a02 = T.MultiplyAdd(w, T.Load(v), a02);
                a12 = T.MultiplyAdd(w, T.Load(v + s), a12);
                a22 = T.MultiplyAdd(w, T.Load(v + 2 * s), a22);
                a32 = T.MultiplyAdd(w, T.Load(v + 3 * s), a32);
            }
        }
        result[0] = (a00 + a02) + (a01 + a03);
        result[1] = (a10 + a12) + (a11 + a13);
        result[2] = (a20 + a22) + (a21 + a23);
        result[3] = (a30 + a32) + (a31 + a33);
    }

    /// <summary><see cref="WeightedSumOfFour"/> for a single dimension (value sizes not a multiple of 4).</summary>
    static void WeightedSumOfOne<T>(float* p, float** unitValues, int units, long offset, T* result)
        where T : unmanaged, ILanes16<T>
    {
        var zero = T.Broadcast(0f);
        T a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        int u = 0;
        for (; u + 4 <= units; u += 4, p += 4 * Lanes)
        {
            a0 = T.MultiplyAdd(T.Load(p), T.Load(unitValues[u] + offset), a0);
            a1 = T.MultiplyAdd(T.Load(p + Lanes), T.Load(unitValues[u + 1] + offset), a1);
            a2 = T.MultiplyAdd(T.Load(p + 2 * Lanes), T.Load(unitValues[u + 2] + offset), a2);
            a3 = T.MultiplyAdd(T.Load(p + 3 * Lanes), T.Load(unitValues[u + 3] + offset), a3);
        }
        // As in WeightedSumOfFour, the padding units would add exactly 0.
        if (u < units) a0 = T.MultiplyAdd(T.Load(p), T.Load(unitValues[u] + offset), a0);
        if (u + 1 < units) a1 = T.MultiplyAdd(T.Load(p + Lanes), T.Load(unitValues[u + 1] + offset), a1);
        if (u + 2 < units) a2 = T.MultiplyAdd(T.Load(p + 2 * Lanes), T.Load(unitValues[u + 2] + offset), a2);
        *result = (a0 + a2) + (a1 + a3);
    }

    /// <summary>Copies unit <paramref name="u"/>'s values into a slab laid out as the cache's (dimension d at
    /// BlockSize·d, lanes 0-15); lanes past the last visible row get 0, so stale cache contents never reach
    /// the sum, not even as 0 · NaN.</summary>
    static void Stage<T>(in VisibleRows rows, int u, float* target) where T : unmanaged, ILanes16<T>
    {
        int blockSize = rows.BlockSize, valueSize = rows.ValueSize;
        int inUnit = Math.Min(Lanes, rows.Count - u * Lanes);
        if (u < rows.ContiguousUnits)
        {
            float* source = rows.Value(u * Lanes);
            var keep = Lanes16.FirstLanes<T>(inUnit);
            for (int d = 0; d < valueSize; d++)
                T.Store(T.And(T.Load(source + (long)d * blockSize), keep), target + (long)d * blockSize);
            return;
        }
        for (int d = 0; d < valueSize; d++) new Span<float>(target + (long)d * blockSize, Lanes).Clear();
        for (int lane = 0; lane < inUnit; lane++)
        {
            float* source = rows.Value(u * Lanes + lane);
            for (int d = 0; d < valueSize; d++) target[(long)d * blockSize + lane] = source[(long)d * blockSize];
        }
    }

    /// <summary>Asks, while a unit's scores are computed, for its value lines (read by the output pass) and
    /// the next unit's key rows: the cache comes in 16-row runs the hardware prefetcher alone starts late on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Prefetch(in VisibleRows rows, int u)
    {
        if (!Sse.IsSupported) return;
        float* values = rows.Value(u * Lanes);
        for (int d = 0; d < rows.ValueSize; d++) Sse.Prefetch1(values + ((long)d << rows.BlockShift));
        if (u + 1 < rows.ContiguousUnits)
        {
            float* keys = rows.Key((u + 1) * Lanes);
            int lines = Math.Min(Lanes, rows.Count - (u + 1) * Lanes) * rows.HeadSize / 16;
            for (int i = 0; i < lines; i++) Sse.Prefetch1(keys + i * 16);
        }
    }

    /// <summary>ggml's F32 dot product (<c>ggml_vec_dot_f32</c> on AVX-512) up to the lane sum, over the first
    /// <paramref name="whole"/> elements (a multiple of 64): four 16-lane accumulators over 64-element steps
    /// with fused multiply-adds, combined (0+2)+(1+3). The caller sums the lanes and adds the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T DotSteps<T>(float* a, float* b, int whole) where T : unmanaged, ILanes16<T>
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
        return (s0 + s2) + (s1 + s3);
    }
}
