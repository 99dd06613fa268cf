namespace Specula.Sampling;

/// <summary>
/// Packs (logit, token id) into one ulong whose ascending order is "best candidate first": higher logit
/// first, and on equal logits the lower token id first (llama.cpp's greedy tie rule). Sorting plain ulongs
/// needs no comparer object, so ordering candidates allocates nothing.
/// </summary>
internal static class CandidateKey
{
    public static ulong Encode(float logit, int tokenId)
    {
        // Adding +0 turns -0 into +0, so the two zeros compare equal as they do for float comparisons.
        uint bits = BitConverter.SingleToUInt32Bits(logit + 0f);
        // Map the float's bits to an unsigned integer that grows with the float's value...
        uint ascending = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        // ...then flip it so larger logits give smaller keys.
        return ((ulong)~ascending << 32) | (uint)tokenId;
    }

    public static int TokenId(ulong key) => (int)(uint)key;
}
