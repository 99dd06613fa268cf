namespace Specula.Templates;

/// <summary>Python's slice arithmetic (<c>seq[start:stop:step]</c>) with negative and out-of-range bounds
/// clamped as Python clamps them.</summary>
static class Slicing
{
    /// <summary>Start and count of a step-1 slice.</summary>
    public static (int Start, int Count) Range(int length, long? start, long? stop)
    {
        long from = Clamp(start ?? 0, length, forNegativeStep: false);
        long to = Clamp(stop ?? length, length, forNegativeStep: false);
        return ((int)from, (int)Math.Max(0, to - from));
    }

    /// <summary>The indices a slice visits, in order.</summary>
    public static List<int> Indices(int length, long? start, long? stop, long? step)
    {
        long stride = step ?? 1;
        if (stride == 0) throw new TemplateException("slice step cannot be zero");
        var indices = new List<int>();
        if (stride > 0)
        {
            long from = Clamp(start ?? 0, length, false), to = Clamp(stop ?? length, length, false);
            for (long i = from; i < to; i += stride) indices.Add((int)i);
        }
        else
        {
            long from = start.HasValue ? Clamp(start.Value, length, true) : length - 1;
            long to = stop.HasValue ? Clamp(stop.Value, length, true) : -1;
            for (long i = from; i > to; i += stride) indices.Add((int)i);
        }
        return indices;
    }

    static long Clamp(long index, int length, bool forNegativeStep)
    {
        if (index < 0)
        {
            index += length;
            if (index < 0) index = forNegativeStep ? -1 : 0;
        }
        else if (index >= length) index = forNegativeStep ? length - 1 : length;
        return index;
    }
}
