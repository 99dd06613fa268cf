using System.Numerics;
using System.Security.Cryptography;

namespace Specula.Sampling;

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018) seeded through <see cref="SplitMix64"/>. Written out here rather
/// than using <see cref="System.Random"/> because a seeded System.Random is not promised to give the same
/// sequence across .NET versions, and a seeded request must replay the same tokens.
/// </summary>
public sealed class SeededRandom : IRandomSource
{
    ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose whole sequence is determined by <paramref name="seed"/>.</summary>
    public SeededRandom(ulong seed)
    {
        var expander = new SplitMix64(seed);
        _s0 = expander.Next();
        _s1 = expander.Next();
        _s2 = expander.Next();
        _s3 = expander.Next();
    }

    /// <summary>Same as the unsigned constructor; the bits of a negative seed are used as they are.</summary>
    public SeededRandom(long seed) : this(unchecked((ulong)seed)) { }

    SeededRandom(ulong s0, ulong s1, ulong s2, ulong s3) => (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);

    /// <summary>Uses the raw 256-bit state (for checking against published test vectors).</summary>
    public static SeededRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
            throw new ArgumentException("the xoshiro256** state must not be all zero (the generator would only ever return 0)");
        return new SeededRandom(s0, s1, s2, s3);
    }

    /// <summary>A generator for <paramref name="seed"/>, or one seeded from the OS entropy source when it is null.</summary>
    public static SeededRandom FromSeedOrEntropy(long? seed) =>
        seed is long s ? new SeededRandom(s) : new SeededRandom(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));

    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) (53 random bits).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>) without modulo bias (Lemire's method).</summary>
    public int NextInt32(int maxExclusive)
    {
        if (maxExclusive <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "the upper bound must be positive");
        ulong range = (ulong)maxExclusive;
        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
                high = Math.BigMul(NextUInt64(), range, out low);
        }
        return (int)high;
    }

    /// <summary>
    /// A new generator seeded from this one's next output: an independent stream for a sub-task (for
    /// example a draft model's sampler), so that the two never share draws.
    /// </summary>
    public SeededRandom Fork() => new(NextUInt64());
}
