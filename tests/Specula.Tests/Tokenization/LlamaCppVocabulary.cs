using System.Reflection;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;
using Specula.Tests.Reference;

namespace Specula.Tests.Tokenization;

/// <summary>
/// llama.cpp's own tokenizer for a GGUF file, loaded vocabulary-only (no weights), through LLamaSharp's native API:
/// <c>llama_tokenize</c>, <c>llama_detokenize</c> and the vocabulary's special ids, attributes and EOG test.
/// </summary>
sealed unsafe class LlamaCppVocabulary : IDisposable
{
    static readonly Lazy<bool> Initialized = new(() =>
    {
        // The native library can be configured only once per process and the shared harness does it (quiet logs);
        // loading its smallest model first makes sure it is the one that configures it.
        new LlamaCppReference(TestPaths.Shared("models/stories260K.gguf"), contextSize: 16).Dispose();
        return true;
    });
    readonly LLamaWeights _weights;

    public LlamaCppVocabulary(string ggufPath)
    {
        _ = Initialized.Value;
        _weights = LLamaWeights.LoadFromFile(new ModelParams(ggufPath) { VocabOnly = true, GpuLayerCount = 0 });
    }

    SafeLlamaModelHandle.Vocabulary Vocab => _weights.NativeHandle.Vocab;

    public int Count => Vocab.Count;
    public int? Bos => (int?)Vocab.BOS;
    public int? Eos => (int?)Vocab.EOS;
    public int? Eot => (int?)Vocab.EOT;
    public int? Pad => (int?)Vocab.Pad;
    public bool AddBos => Vocab.ShouldAddBOS;
    public bool IsEndOfGeneration(int id) => ((LLamaToken)id).IsEndOfGeneration(Vocab);
    public int Attributes(int id) => (int)((LLamaToken)id).GetAttributes(Vocab);

    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        var tokens = _weights.NativeHandle.Tokenize(text, addSpecial, parseSpecial, Encoding.UTF8);
        var ids = new int[tokens.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = (int)tokens[i];
        return ids;
    }

    // llama_detokenize and the native vocabulary pointer are internal in LLamaSharp 0.30.0; reached by reflection.
    static readonly MethodInfo DetokenizeMethod = typeof(NativeApi).GetMethod("llama_detokenize", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
        ?? throw new MissingMethodException("LLamaSharp NativeApi.llama_detokenize not found");
    static readonly PropertyInfo VocabNativeProperty = typeof(SafeLlamaModelHandle.Vocabulary).GetProperty("VocabNative", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
        ?? throw new MissingMemberException("LLamaSharp Vocabulary.VocabNative not found");

    public byte[] Detokenize(int[] ids, bool removeSpecial, bool unparseSpecial)
    {
        var tokens = new LLamaToken[ids.Length];
        for (int i = 0; i < ids.Length; i++) tokens[i] = (LLamaToken)ids[i];
        var buffer = new byte[ids.Length * 64 + 64];
        fixed (LLamaToken* t = tokens)
        fixed (byte* b = buffer)
        {
            object vocab = VocabNativeProperty.GetValue(Vocab)!;
            int n = (int)DetokenizeMethod.Invoke(null, [vocab, Pointer.Box(t, typeof(LLamaToken*)), tokens.Length,
                                                         Pointer.Box(b, typeof(byte*)), buffer.Length, removeSpecial, unparseSpecial])!;
            if (n < 0) throw new InvalidOperationException($"llama_detokenize needs {-n} bytes");
            return buffer.AsSpan(0, n).ToArray();
        }
    }

    /// <summary>llama_token_to_piece(id, lstrip 0, special).</summary>
    public byte[] TokenToPiece(int id, bool special)
    {
        Span<byte> buffer = stackalloc byte[256];
        int n = NativeApi.llama_token_to_piece(Vocab, (LLamaToken)id, buffer, 0, special);
        if (n < 0)
        {
            buffer = new byte[-n];
            n = NativeApi.llama_token_to_piece(Vocab, (LLamaToken)id, buffer, 0, special);
        }
        return buffer[..n].ToArray();
    }

    public void Dispose() => _weights.Dispose();
}
