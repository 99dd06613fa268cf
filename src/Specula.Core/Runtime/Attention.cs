using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Specula.Runtime;

/// <summary>
/// Scaled dot-product attention of the query heads that share one key/value head, over the rows of a
/// sequence's KV cache the token may see: a contiguous run [0, prefixRows) followed by explicit extra rows
/// (tree ancestors), always in increasing row order. Each key and value row is read once for the whole
/// group of query heads (grouped-query attention). Every head's result is computed with the same operations
/// in the same order whatever the batch, the thread or the machine (256-bit lanes, no fused multiply-add),
/// so a token's attention depends only on what it sees.
/// </summary>
static unsafe class Attention
{
    /// <param name="queries">The group's query heads, <paramref name="groupSize"/> x headSize, consecutive.</param>
    /// <param name="scores">Scratch of at least groupSize x (visible rows).</param>
    /// <param name="outputs">The group's output heads, groupSize x valueSize, consecutive.</param>
    public static void Group(
        ReadOnlySpan<float> queries, int groupSize, int headSize, float scale,
        KvCache cache, KvBlockTable table, int layer, int kvHead, int valueSize,
        int prefixRows, ReadOnlySpan<int> extraRows,
        Span<float> scores, Span<float> outputs)
    {
        int count = prefixRows + extraRows.Length;
        if (queries.Length < groupSize * headSize || outputs.Length < groupSize * valueSize || scores.Length < groupSize * count)
            throw new ArgumentException("attention buffers are too small");
        int blockSize = cache.BlockSize, kvHeads = cache.KvHeadCount;
        var blocks = table.Blocks;

        fixed (float* q = queries, keys = cache.Keys(layer), values = cache.Values(layer), s = scores, o = outputs)
        fixed (int* extra = extraRows)
        {
            // Scores: one pass over the visible key rows.
            for (int j = 0; j < count; j++)
            {
                float* k = keys + HeadRow(blocks, blockSize, kvHeads, kvHead, j < prefixRows ? j : extra[j - prefixRows]) * headSize;
                for (int g = 0; g < groupSize; g++)
                    s[g * count + j] = Dot(q + g * headSize, k, headSize) * scale;
            }

            for (int g = 0; g < groupSize; g++)
                Kernels.Softmax.InPlace(new Span<float>(s + g * count, count));

            // Weighted sum of the visible value rows.
            new Span<float>(o, groupSize * valueSize).Clear();
            for (int j = 0; j < count; j++)
            {
                float* v = values + HeadRow(blocks, blockSize, kvHeads, kvHead, j < prefixRows ? j : extra[j - prefixRows]) * valueSize;
                for (int g = 0; g < groupSize; g++)
                    AddScaled(o + g * valueSize, s[g * count + j], v, valueSize);
            }
        }
    }

    /// <summary>Which head-sized row of a layer's key (or value) array holds <paramref name="kvHead"/> of a
    /// sequence row: blocks are [head][row][head size].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static long HeadRow(int[] blocks, int blockSize, int kvHeads, int kvHead, int row) =>
        ((long)blocks[row / blockSize] * kvHeads + kvHead) * blockSize + row % blockSize;

    /// <summary>Dot product in a fixed order for a given length: four 8-lane partial sums over 32-element
    /// steps, then 8-element steps into the first, then the lanes added pairwise, then a scalar tail.</summary>
    static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float sum = 0;
        if (n >= 8)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            var acc2 = Vector256<float>.Zero;
            var acc3 = Vector256<float>.Zero;
            for (; i + 32 <= n; i += 32)
            {
                acc0 += Vector256.Load(a + i) * Vector256.Load(b + i);
                acc1 += Vector256.Load(a + i + 8) * Vector256.Load(b + i + 8);
                acc2 += Vector256.Load(a + i + 16) * Vector256.Load(b + i + 16);
                acc3 += Vector256.Load(a + i + 24) * Vector256.Load(b + i + 24);
            }
            for (; i + 8 <= n; i += 8)
                acc0 += Vector256.Load(a + i) * Vector256.Load(b + i);
            var acc = (acc0 + acc1) + (acc2 + acc3);
            var half = acc.GetLower() + acc.GetUpper();
            sum = (half.GetElement(0) + half.GetElement(2)) + (half.GetElement(1) + half.GetElement(3));
        }
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>output += weight · values, element-wise (so lanes do not change any result).</summary>
    static void AddScaled(float* output, float weight, float* values, int n)
    {
        int i = 0;
        var w = Vector256.Create(weight);
        for (; i + 8 <= n; i += 8)
            Vector256.Store(Vector256.Load(output + i) + w * Vector256.Load(values + i), output + i);
        for (; i < n; i++) output[i] += weight * values[i];
    }
}
