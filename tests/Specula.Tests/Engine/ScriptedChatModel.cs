using Specula.Gguf;
using Specula.Tensors;

namespace Specula.Tests.Engine;

/// <summary>
/// Writes a GGUF model whose next token depends only on the current one, following a script: a fixture's
/// real vocabulary and chat template with weights built so that token <c>a</c> is followed by
/// <c>script[a]</c> with overwhelming probability (a logit 8 above every other token, so any sampling setting
/// with min-p or top-k picks it, and greedy does). Every block weight is zero, so each position's hidden state
/// is its token's embedding; the embedding of a scripted token is a unit vector of its own and the output row
/// of its successor points the same way. Tokens outside the script have a zero embedding: all logits 0, and
/// greedy then picks token 0.
/// </summary>
static class ScriptedChatModel
{
    public static void Write(string fixturePath, IReadOnlyDictionary<int, int> script, string path)
    {
        using var source = GgufReader.Open(fixturePath);
        var writer = new GgufWriter();
        foreach (string key in source.MetadataKeys)
            writer.SetValue(key, source.MetadataTypes[key], source.Metadata[key]);

        int dim = (int)source.GetInteger("llama.embedding_length")!.Value;
        int vocabulary = (int)source.GetInteger("llama.vocab_size")!.Value;
        if (script.Count > dim) throw new ArgumentException($"a script of {script.Count} tokens needs more than {dim} dimensions");

        var embedding = new float[(long)dim * vocabulary];
        var output = new float[(long)dim * vocabulary];
        int slot = 0;
        foreach (var (token, next) in script)
        {
            embedding[(long)token * dim + slot] = 1f;
            output[(long)next * dim + slot] = 1f;
            slot++;
        }
        writer.AddTensor("token_embd.weight", GgmlType.F16, [dim, vocabulary], Quantize.Tensor(GgmlType.F16, embedding, dim));
        writer.AddTensor("output.weight", GgmlType.F16, [dim, vocabulary], Quantize.Tensor(GgmlType.F16, output, dim));
        writer.AddTensor("output_norm.weight", [dim], Ones(dim));

        foreach (var tensor in source.Tensors)
        {
            if (!tensor.Name.StartsWith("blk.", StringComparison.Ordinal)) continue;
            var values = tensor.Name.EndsWith("norm.weight", StringComparison.Ordinal) ? Ones((int)tensor.ElementCount) : new float[tensor.ElementCount];
            writer.AddTensor(tensor.Name, tensor.Dimensions, values);
        }
        writer.WriteTo(path);
    }

    static float[] Ones(int count)
    {
        var values = new float[count];
        Array.Fill(values, 1f);
        return values;
    }
}
