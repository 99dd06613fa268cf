using Specula.Models;
using Specula.Runtime;
using Specula.Tokenization;

namespace Specula.Engine;

/// <summary>A model file opened for generation: its weights and its tokenizer. Runners (each with its own
/// KV cache) are created from it as needed.</summary>
public sealed class LoadedModel : IDisposable
{
    LoadedModel(TransformerModel model, Tokenizer tokenizer)
    {
        Model = model;
        Tokenizer = tokenizer;
    }

    public TransformerModel Model { get; }
    public Tokenizer Tokenizer { get; }
    public string Path => Model.File.Path;

    /// <summary>Opens a GGUF file; errors name what is wrong with it (see <see cref="TransformerModel.Load"/>
    /// and <see cref="Tokenizer.FromGguf"/>).</summary>
    public static LoadedModel Load(string path)
    {
        var model = TransformerModel.Load(path);
        try
        {
            return new LoadedModel(model, Tokenizer.FromGguf(model.File));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>A generator over a new runner sized by <paramref name="options"/>.</summary>
    public TextGenerator CreateGenerator(RunnerOptions? options = null) => new(new ModelRunner(Model, options), Tokenizer);

    /// <summary>The model's chat format, or one built on <paramref name="templateSource"/>.</summary>
    public ChatFormat ChatFormat(string? templateSource = null) => Engine.ChatFormat.FromModel(Model.File, Tokenizer, templateSource);

    public void Dispose() => Model.Dispose();
}
