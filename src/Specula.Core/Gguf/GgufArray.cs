namespace Specula.Gguf;

/// <summary>A metadata array. <see cref="Values"/> is a typed .NET array: string[], float[], int[], uint[],
/// byte[], ..., bool[], or GgufArray[] for nested arrays.</summary>
public sealed record GgufArray(GgufValueType ElementType, Array Values)
{
    public int Count => Values.Length;
}
