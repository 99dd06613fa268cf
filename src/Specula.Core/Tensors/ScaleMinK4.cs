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

    /// <summary>
    /// The part of ggml's quantize_row_q4_K_ref / quantize_row_q5_K_ref that the two share, for one
    /// 256-element super-block: search each 32-element group's scale and minimum (weighted towards large
    /// values), store them as 6-bit numbers relative to the super-block's <paramref name="d"/> and
    /// <paramref name="dmin"/>, then requantize every element against the scales as stored, into
    /// <paramref name="levels"/> (0..<paramref name="maxLevel"/>).
    /// </summary>
    internal static void QuantizeSuperBlock(ReadOnlySpan<float> x, int maxLevel, float rmin, int searchSteps,
                                            Span<byte> scales, out Half d, out Half dmin, Span<byte> levels)
    {
        const int Groups = 8;
        Span<byte> scratch = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[Groups];
        Span<float> groupScales = stackalloc float[Groups];

        float maxScale = 0, maxMin = 0;
        for (int g = 0; g < Groups; g++)
        {
            ReadOnlySpan<float> xg = x.Slice(32 * g, 32);
            // Weights favour large values, relative to the group's RMS.
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += xg[l] * xg[l];
            float avX = MathF.Sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + MathF.Abs(xg[l]);
            groupScales[g] = KQuantSearch.MakeQkx2Quants(xg, maxLevel, weights, levels.Slice(32 * g, 32), out mins[g], scratch, rmin, 0.1f, searchSteps, false);
            if (groupScales[g] > maxScale) maxScale = groupScales[g];
            if (mins[g] > maxMin) maxMin = mins[g];
        }

        float invScale = maxScale > 0 ? 63f / maxScale : 0f;
        float invMin = maxMin > 0 ? 63f / maxMin : 0f;
        for (int g = 0; g < Groups; g++)
        {
            byte ls = Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * groupScales[g]));
            byte lm = Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[g]));
            Set(g, scales, ls, lm);
        }
        d = Fp16.FromFloat(maxScale / 63f);
        dmin = Fp16.FromFloat(maxMin / 63f);

        // Requantize against the scales as stored.
        for (int g = 0; g < Groups; g++)
        {
            Get(g, scales, out byte sc, out byte m);
            float dg = Fp16.ToFloat(d) * sc;
            if (dg == 0) continue;
            float dm = Fp16.ToFloat(dmin) * m;
            for (int i = 0; i < 32; i++)
            {
                int l = QuantMath.NearestInt((x[32 * g + i] + dm) / dg);
                levels[32 * g + i] = (byte)Math.Max(0, Math.Min(maxLevel, l));
            }
        }
    }
}
