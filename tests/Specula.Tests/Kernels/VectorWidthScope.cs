using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>Tests that change <see cref="KernelOptions.MaxVectorWidth"/> (process-wide) run in this collection,
/// one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelOptionsCollection
{
    public const string Name = "Kernel options";
}

/// <summary>Sets the widest vector path for the duration of a test.</summary>
sealed class VectorWidthScope : IDisposable
{
    readonly int _previous = KernelOptions.MaxVectorWidth;
    public VectorWidthScope(int width) => KernelOptions.MaxVectorWidth = width;
    public void Dispose() => KernelOptions.MaxVectorWidth = _previous;
}
