using System.Collections.Concurrent;
using Specula.Models;

namespace Specula.Tests.Models;

/// <summary>Writes each synthetic model once per test class into a temporary folder, deleted at the end.</summary>
public sealed class SyntheticModelFiles : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-synthetic-").FullName;
    readonly ConcurrentDictionary<SyntheticModelSpec, string> _paths = new();

    public string PathFor(SyntheticModelSpec spec) => _paths.GetOrAdd(spec, s =>
    {
        string path = System.IO.Path.Combine(_directory, $"model-{_paths.Count}-{s.Architecture}-{s.TensorType}.gguf");
        SyntheticModel.Write(s, path);
        return path;
    });

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
