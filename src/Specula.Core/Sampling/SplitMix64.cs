namespace Specula.Sampling;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a tiny 64-bit generator whose main use here is to expand one
/// seed into the 256-bit state of <see cref="SeededRandom"/>, as the xoshiro authors recommend.
/// </summary>
public struct SplitMix64
{
    ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>Advances the state by the golden-ratio increment and returns the mixed value.</summary>
    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
