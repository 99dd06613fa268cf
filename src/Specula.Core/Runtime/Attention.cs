using System.Numerics;
using System.Runtime.InteropServices;

namespace Specula.Runtime;

/// <summary>
/// Scaled dot-product attention of one query head over the rows of a sequence's KV cache that the query
/// may see: a contiguous run [0, prefixRows) followed by explicit extra rows (tree ancestors), always in
/// increasing row order, so a token's result depends only on what it sees, not on the batch around it.
/// </summary>
static class Attention
{
    public static void Head(
        ReadOnlySpan<float> query, float scale,
        KvCache cache, KvBlockTable table, int layer, int kvHeadOffset, int valueHeadOffset,
        int prefixRows, ReadOnlySpan<int> extraRows,
        Span<float> scores, Span<float> output)
    {
        var keys = cache.Keys(layer);
        var values = cache.Values(layer);
        int keyStride = cache.KeyDimension, valueStride = cache.ValueDimension;
        int headSize = query.Length, valueSize = output.Length;
        int count = prefixRows + extraRows.Length;
        scores = scores[..count];

        for (int j = 0; j < count; j++)
        {
            int row = j < prefixRows ? j : extraRows[j - prefixRows];
            int physical = cache.PhysicalRow(table, row);
            scores[j] = Dot(query, keys.AsSpan(physical * keyStride + kvHeadOffset, headSize)) * scale;
        }

        Kernels.Softmax.InPlace(scores);

        output.Clear();
        for (int j = 0; j < count; j++)
        {
            int row = j < prefixRows ? j : extraRows[j - prefixRows];
            int physical = cache.PhysicalRow(table, row);
            AddScaled(output, scores[j], values.AsSpan(physical * valueStride + valueHeadOffset, valueSize));
        }
    }

    /// <summary>Dot product with a fixed order for a given length (vector lanes, then lanes summed, then tail).</summary>
    static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (int v = 0; v < va.Length; v++) acc += va[v] * vb[v];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>output += weight · values (element-wise, so vectorising does not change any result).</summary>
    static void AddScaled(Span<float> output, float weight, ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && output.Length >= Vector<float>.Count)
        {
            var vo = MemoryMarshal.Cast<float, Vector<float>>(output);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(values);
            var w = new Vector<float>(weight);
            for (int v = 0; v < vo.Length; v++) vo[v] += w * vv[v];
            i = vo.Length * Vector<float>.Count;
        }
        for (; i < output.Length; i++) output[i] += weight * values[i];
    }
}
