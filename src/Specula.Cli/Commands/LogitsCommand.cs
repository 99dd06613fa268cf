using System.CommandLine;
using System.Runtime.InteropServices;
using Specula.Hub;
using Specula.Models;
using Specula.Runtime;

namespace Specula.Cli.Commands;

/// <summary><c>specula logits -m MODEL --tokens 1,2,3 --out FILE [--all]</c>: evaluates the tokens and writes
/// the logits after the last one (or after every one, position-major) as raw little-endian float32.</summary>
public static class LogitsCommand
{
    /// <summary>Tokens per forward call with --all (every row then needs a vocabulary-sized logits row).</summary>
    const int AllRowsChunk = 64;

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file, or hub model OWNER/REPO[:QUANT]", Required = true };
        var tokens = new Option<string>("--tokens") { Description = "Comma-separated token ids to evaluate, e.g. 1,2,3", Required = true };
        var outFile = new Option<string>("--out", "-o") { Description = "File to write the float32 logits to", Required = true };
        var all = new Option<bool>("--all") { Description = "Write the logits of every position, not only the last" };
        var command = new Command("logits", "Evaluate token ids and write the logits as raw little-endian float32.") { model, tokens, outFile, all };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var ids = TokenList.Parse(parse.GetValue(tokens)!);
            string path = await ModelReference.ResolveAsync(parse.GetValue(model)!, cancellationToken: cancellationToken);
            using var loaded = TransformerModel.Load(path);
            TokenList.CheckRange(ids, loaded.Config.VocabularySize);
            using var output = new FileStream(parse.GetValue(outFile)!, FileMode.Create, FileAccess.Write);
            Write(loaded, ids, parse.GetValue(all), output);
            return 0;
        });
        return command;
    }

    public static void Write(TransformerModel model, int[] ids, bool allPositions, Stream output)
    {
        if (ids.Length > model.Config.ContextLength)
            throw new ContextOverflowException($"{ids.Length} tokens do not fit the model's context length of {model.Config.ContextLength}");
        int chunk = allPositions ? Math.Min(AllRowsChunk, ids.Length) : Math.Min(512, ids.Length);
        var runner = new ModelRunner(model, new RunnerOptions
        {
            ContextLength = ids.Length,
            MaxBatchTokens = chunk,
            MaxLogitRows = allPositions ? chunk : 1,
            MaxSequences = 1,
        });
        int sequence = runner.Cache.CreateSequence();
        var batch = new ForwardBatch(chunk);
        for (int start = 0; start < ids.Length; start += chunk)
        {
            int count = Math.Min(chunk, ids.Length - start);
            batch.Clear();
            for (int i = 0; i < count; i++)
            {
                int position = start + i;
                batch.Add(sequence, ids[position], position, wantsLogits: allPositions || position == ids.Length - 1);
            }
            runner.Forward(batch);
            for (int i = 0; i < count; i++)
            {
                if (allPositions || start + i == ids.Length - 1)
                    WriteFloats(output, runner.Logits(i));
            }
        }
    }

    static void WriteFloats(Stream output, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("logits are written little-endian; this machine is big-endian");
        output.Write(MemoryMarshal.AsBytes(values));
    }
}
