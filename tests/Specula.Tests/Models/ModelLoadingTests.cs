using Specula.Gguf;
using Specula.Kernels;
using Specula.Models;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Models;

public class ModelLoadingTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-loading-").FullName;

    string Write(GgufWriter writer, string name)
    {
        string path = Path.Combine(_directory, name + ".gguf");
        writer.WriteTo(path);
        return path;
    }

    static GgufWriter Small(ModelArchitecture architecture = ModelArchitecture.Llama, int headDimension = 0, bool tied = false) =>
        SyntheticModel.Build(new SyntheticModelSpec
        {
            Architecture = architecture, EmbeddingLength = 32, FeedForwardLength = 64, HeadCount = 4, KvHeadCount = 2,
            HeadDimension = headDimension, VocabularySize = 300, TiedEmbeddings = tied,
        });

    [Fact]
    public void ConfigComesFromMetadataWithLlamaCppDefaults()
    {
        using var model = TransformerModel.Load(TestPaths.Shared("models/stories260K.gguf"));
        var c = model.Config;
        Assert.Equal((64, 5, 172, 8, 4, 8, 512, 512), (c.EmbeddingLength, c.LayerCount, c.FeedForwardLength, c.HeadCount, c.KvHeadCount, c.KeyLength, c.VocabularySize, c.ContextLength));
        Assert.Equal(RopeStyle.Normal, c.RopeStyle);
        Assert.Equal(10000f, c.RopeFreqBase);
        Assert.Equal(1e-5f, c.RmsEpsilon, 1e-9f);
        Assert.Equal(1 / MathF.Sqrt(8), c.AttentionScale);
        Assert.False(model.TiedEmbeddings);
    }

    [Fact]
    public void Qwen3HeadSizeComesFromKeyLengthAndQwenUsesNeoxRope()
    {
        using var model = TransformerModel.Load(Write(Small(ModelArchitecture.Qwen3, headDimension: 16, tied: true), "qwen3"));
        var c = model.Config;
        Assert.Equal(16, c.KeyLength);          // not 32 / 4 = 8
        Assert.Equal(64, c.QueryDimension);
        Assert.Equal(RopeStyle.Neox, c.RopeStyle);
        Assert.True(c.HasQkNorm);
        Assert.True(model.TiedEmbeddings);
        Assert.Equal("token_embd.weight", model.Output.Name);

        using var qwen2 = TransformerModel.Load(Write(Small(ModelArchitecture.Qwen2), "qwen2"));
        Assert.Equal(RopeStyle.Neox, qwen2.Config.RopeStyle);
        Assert.NotNull(qwen2.Layers[0].QueryBias);
    }

    [Fact]
    public void LinearRopeScalingSetsTheFrequencyScaleAndYarnIsRefused()
    {
        var linear = Small().Set("llama.rope.scaling.type", "linear").Set("llama.rope.scaling.factor", 4.0f);
        using (var model = TransformerModel.Load(Write(linear, "linear")))
            Assert.Equal(0.25f, model.Config.RopeFreqScale);

        var yarn = Small().Set("llama.rope.scaling.type", "yarn").Set("llama.rope.scaling.factor", 4.0f);
        var error = Assert.Throws<NotSupportedException>(() => TransformerModel.Load(Write(yarn, "yarn")));
        Assert.Contains("yarn", error.Message);
    }

    [Fact]
    public void UnknownArchitectureIsNamedInTheError()
    {
        var error = Assert.Throws<NotSupportedException>(() => TransformerModel.Load(Write(Small().Set("general.architecture", "gemma2"), "gemma")));
        Assert.Contains("'gemma2'", error.Message);
    }

    [Fact]
    public void MixtureOfExpertsIsRefused()
    {
        var error = Assert.Throws<NotSupportedException>(() => TransformerModel.Load(Write(Small().Set("llama.expert_count", 8u), "moe")));
        Assert.Contains("mixture-of-experts", error.Message);
    }

    [Fact]
    public void MissingFileAndNonGgufFileGiveClearErrors()
    {
        Assert.Throws<FileNotFoundException>(() => TransformerModel.Load(Path.Combine(_directory, "absent.gguf")));
        string junk = Path.Combine(_directory, "junk.gguf");
        File.WriteAllBytes(junk, new byte[100]);
        Assert.Contains("not a GGUF file", Assert.Throws<GgufFormatException>(() => TransformerModel.Load(junk)).Message);
    }

    [Fact]
    public void MissingOrMisshapenTensorsAreNamed()
    {
        var source = Small();
        // Rebuild without blk.1.ffn_up.weight.
        string full = Write(source, "full");
        using var reader = GgufReader.Open(full);
        string Rewrite(string name, Func<GgufTensorInfo, (long[] Dims, byte[] Data)?> change)
        {
            var writer = new GgufWriter();
            foreach (string key in reader.MetadataKeys) writer.SetValue(key, reader.MetadataTypes[key], reader.Metadata[key]);
            foreach (var t in reader.Tensors)
            {
                var replaced = change(t);
                if (replaced == null && t.Name == "blk.1.ffn_up.weight") continue;
                var (dims, data) = replaced ?? (t.Dimensions, reader.GetTensorBytes(t).ToArray());
                writer.AddTensor(t.Name, t.Type, dims, data);
            }
            return Write(writer, name);
        }

        string missing = Rewrite("missing", _ => null);
        Assert.Contains("blk.1.ffn_up.weight", Assert.Throws<InvalidDataException>(() => TransformerModel.Load(missing)).Message);

        string misshapen = Rewrite("misshapen", t => t.Name == "blk.1.ffn_up.weight"
            ? ([32, 32], new byte[32 * 32 * 4]) : (t.Dimensions, reader.GetTensorBytes(t).ToArray()));
        var error = Assert.Throws<InvalidDataException>(() => TransformerModel.Load(misshapen));
        Assert.Contains("blk.1.ffn_up.weight", error.Message);
        Assert.Contains("[32, 32]", error.Message);
    }

    [Fact]
    public void AWeightOfATypeTheKernelsCannotRunIsNamedWithItsType()
    {
        string path = Write(Small(), "base");
        using var reader = GgufReader.Open(path);
        var writer = new GgufWriter();
        foreach (string key in reader.MetadataKeys) writer.SetValue(key, reader.MetadataTypes[key], reader.Metadata[key]);
        foreach (var t in reader.Tensors)
        {
            if (t.Name == "blk.0.attn_k.weight")
            {
                // MXFP4: 32 values per 17-byte block; not a type the matrix kernels run.
                long bytes = t.Dimensions[0] / 32 * 17 * t.Dimensions[1];
                writer.AddTensor(t.Name, GgmlType.MXFP4, t.Dimensions, new byte[bytes]);
            }
            else writer.AddTensor(t.Name, t.Type, t.Dimensions, reader.GetTensorBytes(t));
        }
        var error = Assert.Throws<NotSupportedException>(() => TransformerModel.Load(Write(writer, "mxfp4")));
        Assert.Contains("blk.0.attn_k.weight", error.Message);
        Assert.Contains("MXFP4", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
