namespace Specula.Kernels;

/// <summary>One operation run by every thread of a <see cref="ComputePool"/> at once. Implementations
/// split their work themselves (usually chunks of output rows taken from an atomic counter) and are reused
/// between calls so that running an operation allocates nothing.</summary>
public interface IParallelWork
{
    /// <param name="threadIndex">0 for the calling thread, 1..threadCount-1 for the pool's workers.</param>
    void Execute(int threadIndex, int threadCount);
}
