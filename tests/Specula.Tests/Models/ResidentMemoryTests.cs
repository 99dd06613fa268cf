using System.Globalization;
using Specula.Gguf;
using Specula.Kernels;
using Specula.Models;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Models;

/// <summary>Weights repacked into row tiles at load must not stay resident twice: the mapped originals of the
/// repacked matrices are released, so the file mapping keeps only what is still read from it.</summary>
[Collection(Specula.Tests.Kernels.KernelOptionsCollection.Name)] // the F16 layout depends on the vector width
public class ResidentMemoryTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-resident-").FullName;

    [Theory]
    [InlineData(GgmlType.Q4_0, false)]
    [InlineData(GgmlType.Q8_0, true)]
    [InlineData(GgmlType.Q4_K, false)]
    [InlineData(GgmlType.F16, true)]
    public void MappedPagesOfRepackedMatricesAreReleasedAfterLoading(GgmlType type, bool tied)
    {
        if (!OperatingSystem.IsLinux()) return; // residency is read from /proc/self/smaps
        string path = Path.Combine(_directory, $"model-{type}-{tied}.gguf");
        SyntheticModel.Write(new SyntheticModelSpec
        {
            EmbeddingLength = 512, FeedForwardLength = 1536, HeadCount = 8, KvHeadCount = 4, LayerCount = 3,
            VocabularySize = 2048, TensorType = type, TiedEmbeddings = tied,
        }, path);

        long repackedBytes = 0;
        int tensors;
        using (var gguf = GgufReader.Open(path))
        {
            tensors = gguf.Tensors.Count;
            foreach (var info in gguf.Tensors)
                if (info.Dimensions.Length == 2 && IsRepacked(info.Type) && (tied || info.Name != "token_embd.weight"))
                    repackedBytes += info.ByteSize;
        }
        long fileBytes = new FileInfo(path).Length;
        Assert.True(repackedBytes > fileBytes / 2, "the model should be mostly repacked matrices");

        using var model = TransformerModel.Load(path);
        // Loading read every byte of the file (packing, norms); the repacked matrices' pages must be gone again
        // (a page shared with a neighbouring tensor may stay).
        long resident = MappedResidentBytes(path);
        long page = Environment.SystemPageSize;
        long allowed = fileBytes - repackedBytes + 2 * page * tensors;
        Assert.True(resident <= allowed,
            $"{resident} bytes of the file stay resident; at most {allowed} expected ({repackedBytes} of {fileBytes} were repacked)");
    }

    static bool IsRepacked(GgmlType type) =>
        RowTiles.Supports(type) || (type == GgmlType.F16 && KernelOptions.EffectiveVectorWidth == 512);

    /// <summary>Resident bytes of every mapping of <paramref name="path"/> in this process.</summary>
    static long MappedResidentBytes(string path)
    {
        string full = Path.GetFullPath(path);
        long total = 0;
        bool inFile = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-'))
                inFile = line.EndsWith(full, StringComparison.Ordinal);
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal))
                total += long.Parse(line[4..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        return total;
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
