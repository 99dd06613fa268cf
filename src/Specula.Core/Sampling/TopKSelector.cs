using System.Numerics;
using System.Runtime.InteropServices;

namespace Specula.Sampling;

/// <summary>
/// Finds the k best logits of a vocabulary-sized row without sorting it: one pass with a k-entry heap
/// whose root is the worst kept candidate, skipping whole SIMD blocks that hold nothing better than the
/// root. O(V) for the usual small k instead of a full O(V log V) sort.
/// </summary>
internal static class TopKSelector
{
    /// <summary>
    /// Writes the ids of the <paramref name="k"/> best tokens of <paramref name="logits"/> (highest logit
    /// first, lower id first on ties) into <paramref name="ids"/> and returns how many were written
    /// (min(k, V)). <paramref name="heap"/> is scratch of at least that length. Logits must not hold NaN.
    /// </summary>
    public static int Select(ReadOnlySpan<float> logits, int k, Span<ulong> heap, Span<int> ids)
    {
        int n = logits.Length;
        int count = Math.Min(k, n);
        if (count <= 0)
            return 0;
        if (heap.Length < count || ids.Length < count)
            throw new ArgumentException($"top-{count} selection needs scratch of {count} entries");

        heap = heap[..count];
        int i = 0;
        for (; i < count; i++)
            SiftUp(heap, i, CandidateKey.Encode(logits[i], i));

        // Later indices only enter by a strictly higher logit: on equal logits the kept lower id wins.
        float worstKept = logits[CandidateKey.TokenId(heap[0])];
        ref float start = ref MemoryMarshal.GetReference(logits);
        int width = Vector<float>.Count;
        for (; i <= n - width; i += width)
        {
            if (!Vector.GreaterThanAny(Vector.LoadUnsafe(ref start, (nuint)i), new Vector<float>(worstKept)))
                continue;
            for (int j = i; j < i + width; j++)
                if (logits[j] > worstKept)
                    worstKept = ReplaceWorst(heap, logits, CandidateKey.Encode(logits[j], j));
        }
        for (; i < n; i++)
            if (logits[i] > worstKept)
                worstKept = ReplaceWorst(heap, logits, CandidateKey.Encode(logits[i], i));

        heap.Sort();
        for (int j = 0; j < count; j++)
            ids[j] = CandidateKey.TokenId(heap[j]);
        return count;
    }

    // Max-heap on the key: the root is the worst kept candidate.
    static void SiftUp(Span<ulong> heap, int index, ulong key)
    {
        while (index > 0)
        {
            int parent = (index - 1) >> 1;
            if (heap[parent] >= key)
                break;
            heap[index] = heap[parent];
            index = parent;
        }
        heap[index] = key;
    }

    static float ReplaceWorst(Span<ulong> heap, ReadOnlySpan<float> logits, ulong key)
    {
        int index = 0;
        int size = heap.Length;
        while (true)
        {
            int child = 2 * index + 1;
            if (child >= size)
                break;
            if (child + 1 < size && heap[child + 1] > heap[child])
                child++;
            if (heap[child] <= key)
                break;
            heap[index] = heap[child];
            index = child;
        }
        heap[index] = key;
        return logits[CandidateKey.TokenId(heap[0])];
    }
}
