using System.Text.Json;
using Specula.Tests.Reference;
using Xunit;

namespace Specula.Tests;

public class LlamaCppReferenceTests
{
    [Fact]
    public void ReferenceReproducesStoriesGoldenIds()
    {
        var golden = JsonDocument.Parse(File.ReadAllText(TestPaths.Shared("models/stories260K.golden.json")));
        using var reference = new LlamaCppReference(TestPaths.Shared("models/stories260K.gguf"));
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = c.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var expected = c.GetProperty("greedy_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var (ids, _) = reference.Greedy(prompt, expected.Length);
            Assert.Equal(expected, ids);
        }
    }
}
