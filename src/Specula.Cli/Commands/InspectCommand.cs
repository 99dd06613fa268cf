using System.CommandLine;
using System.Globalization;
using System.Text;
using Specula.Gguf;
using Specula.Hub;
using Specula.Kernels;
using Specula.Models;
using Specula.Tensors;

namespace Specula.Cli.Commands;

/// <summary><c>specula inspect -m MODEL</c>: prints a GGUF file's header, metadata (long arrays and strings
/// abbreviated), the model configuration when the architecture is supported, the tensor table, and which
/// matrix kernel runs each weight type on this machine.</summary>
public static class InspectCommand
{
    const int ArrayPreview = 6;
    const int StringPreview = 100;

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file, or hub model OWNER/REPO[:QUANT]", Required = true };
        var command = new Command("inspect", "Print a model file's metadata and tensor table.") { model };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = await ModelReference.ResolveAsync(parse.GetValue(model)!, cancellationToken: cancellationToken);
            using var gguf = GgufReader.Open(path);
            Write(gguf, parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }

    public static void Write(GgufReader gguf, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        output.WriteLine($"file: {gguf.Path} ({FormatBytes(gguf.FileSize)})");
        output.WriteLine($"GGUF version {gguf.Version}, {gguf.MetadataKeys.Count} metadata keys, {gguf.Tensors.Count} tensors, alignment {gguf.Alignment}");

        output.WriteLine();
        output.WriteLine("metadata:");
        foreach (string key in gguf.MetadataKeys)
            output.WriteLine($"  {key} = {FormatValue(gguf.Metadata[key])}");

        output.WriteLine();
        try
        {
            var c = ModelConfig.FromGguf(gguf);
            output.WriteLine(string.Create(inv,
                $"model: {c.Architecture.GgufName()}, {c.LayerCount} layers, dim {c.EmbeddingLength}, ffn {c.FeedForwardLength}, " +
                $"heads {c.HeadCount} (kv {c.KvHeadCount}, size {c.KeyLength}), vocab {c.VocabularySize}, context {c.ContextLength}, " +
                $"rope base {c.RopeFreqBase} ({c.RopeStyle.ToString().ToLowerInvariant()}), rms eps {c.RmsEpsilon:G3}"));
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidDataException)
        {
            output.WriteLine($"model: cannot run ({ex.Message})");
        }

        output.WriteLine();
        output.WriteLine("tensors:");
        int nameWidth = 4;
        foreach (var t in gguf.Tensors) nameWidth = Math.Max(nameWidth, t.Name.Length);
        output.WriteLine($"  {"name".PadRight(nameWidth)}  {"type",-7}  {"shape",-20}  bytes");
        long total = 0;
        foreach (var t in gguf.Tensors)
        {
            output.WriteLine($"  {t.Name.PadRight(nameWidth)}  {TypeName(t.Type),-7}  {t.ShapeText,-20}  {t.ByteSize.ToString(inv)}");
            total += t.ByteSize;
        }
        output.WriteLine($"  {gguf.Tensors.Count} tensors, {FormatBytes(total)} of weights");

        // How each matrix type present runs here, so a slower path is visible before a run.
        var matrixTypes = new SortedDictionary<GgmlType, int>();
        foreach (var t in gguf.Tensors)
            if (t.Dimensions.Length == 2) matrixTypes[t.Type] = matrixTypes.GetValueOrDefault(t.Type) + 1;
        output.WriteLine();
        output.WriteLine($"matrix kernels ({KernelOptions.EffectiveVectorWidth}-bit vectors):");
        foreach (var (type, count) in matrixTypes)
            output.WriteLine($"  {TypeName(type),-7} {count,4} tensors: {MatMulKernels.Describe(type)}");
    }

    static string TypeName(GgmlType type) => Enum.IsDefined(type) ? type.ToString() : $"#{(uint)type}";

    static string FormatValue(object value) => value switch
    {
        string s => Quote(s),
        GgufArray a => FormatArray(a),
        float f => f.ToString("G9", CultureInfo.InvariantCulture),
        double d => d.ToString("G17", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static string FormatArray(GgufArray array)
    {
        var text = new StringBuilder();
        text.Append('[');
        int shown = Math.Min(array.Count, ArrayPreview);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) text.Append(", ");
            text.Append(FormatValue(array.Values.GetValue(i)!));
        }
        if (array.Count > shown) text.Append(", ...");
        text.Append(']');
        if (array.Count > shown) text.Append($" ({array.Count} {array.ElementType.ToString().ToLowerInvariant()} values)");
        return text.ToString();
    }

    /// <summary>A string on one line: control characters escaped, long ones cut with their full length noted.</summary>
    static string Quote(string s)
    {
        var text = new StringBuilder("\"");
        int limit = Math.Min(s.Length, StringPreview);
        for (int i = 0; i < limit; i++)
        {
            char c = s[i];
            text.Append(c switch
            {
                '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '"' => "\\\"", '\\' => "\\\\",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        text.Append('"');
        if (s.Length > limit) text.Append($"... ({s.Length} chars)");
        return text.ToString();
    }

    static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):F2} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):F2} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):F1} KiB"),
        _ => $"{bytes} bytes",
    };
}
