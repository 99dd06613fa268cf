using System.Runtime.CompilerServices;

namespace Specula.Tensors;

/// <summary>The 12-byte scale field of Q4_K and Q5_K: eight 6-bit scales and eight 6-bit minimums.
/// Bytes 0-3 hold scales 0-3 and bytes 4-7 minimums 0-3 in their low 6 bits; for groups 4-7 the low
/// nibbles of scale and minimum share bytes 8-11, and their top 2 bits ride in the spare top bits of
/// bytes 0-7.</summary>
public static class ScaleMinK4
{
    /// <summary>ggml's get_scale_min_k4: the 6-bit scale and minimum of group <paramref name="j"/> (0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Get(int j, ReadOnlySpan<byte> q, out byte scale, out byte min)
    {
        if (j < 4)
        {
            scale = (byte)(q[j] & 63);
            min = (byte)(q[j + 4] & 63);
        }
        else
        {
            scale = (byte)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
            min = (byte)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
        }
    }

    /// <summary>Stores group <paramref name="j"/>'s 6-bit scale and minimum; groups must be stored in
    /// order 0..7 (groups 4-7 add bits to bytes written for groups 0-3).</summary>
    public static void Set(int j, Span<byte> q, byte scale, byte min)
    {
        if (j < 4)
        {
            q[j] = scale;
            q[j + 4] = min;
        }
        else
        {
            q[j + 4] = (byte)((scale & 0xF) | ((min & 0xF) << 4));
            q[j - 4] |= (byte)((scale >> 4) << 6);
            q[j] |= (byte)((min >> 4) << 6);
        }
    }
}
