namespace Specula.Kernels;

/// <summary>Unpacking of the 12-byte packed scale fields of the k-quants.</summary>
static class KQuantScales
{
    /// <summary>Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins, one pair per 32 values. Bytes 0-3 hold the
    /// low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7), bytes 4-7 the same for the mins, and
    /// bytes 8-11 the low 4 bits of scales 4-7 (low nibble) and mins 4-7 (high nibble).</summary>
    public static void UnpackScaleMin(ReadOnlySpan<byte> packed, Span<int> scales, Span<int> mins)
    {
        for (int j = 0; j < 8; j++)
        {
            if (j < 4)
            {
                scales[j] = packed[j] & 63;
                mins[j] = packed[j + 4] & 63;
            }
            else
            {
                scales[j] = (packed[j + 4] & 0x0F) | ((packed[j - 4] >> 6) << 4);
                mins[j] = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
            }
        }
    }

    /// <summary>Q3_K: 16 six-bit scales (still offset by 32). Bytes 0-7 hold the low 4 bits (scale j in the low
    /// nibble of byte j for j &lt; 8, scale j in the high nibble of byte j-8 for j ≥ 8); bytes 8-11 hold the
    /// high 2 bits, four per byte, scale j in bits 2*(j/4)..+1 of byte 8 + j%4.</summary>
    public static void UnpackQ3K(ReadOnlySpan<byte> packed, Span<int> scales)
    {
        for (int j = 0; j < 16; j++)
        {
            int low = j < 8 ? packed[j] & 0x0F : packed[j - 8] >> 4;
            int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
            scales[j] = low | (high << 4);
        }
    }
}
