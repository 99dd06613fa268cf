namespace Specula.Sampling;

/// <summary>
/// The explicit source of randomness every sampler and strategy takes (design rule: seeded randomness
/// everywhere). Implementations must be deterministic for a given seed so that a seeded request is
/// reproducible; tests may substitute a scripted source.
/// </summary>
public interface IRandomSource
{
    /// <summary>Returns the next 64 uniformly distributed random bits.</summary>
    ulong NextUInt64();

    /// <summary>Returns a uniform double in [0, 1) built from the top 53 bits of <see cref="NextUInt64"/>.</summary>
    double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
