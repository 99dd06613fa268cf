using System.Reflection;
using System.Text;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Specula.Tests.Tokenization;

/// <summary>
/// llama.cpp's own tokenizer for a GGUF file, loaded vocabulary-only (no weights), through LLamaSharp's native API:
/// <c>llama_tokenize</c>, <c>llama_detokenize</c> and the vocabulary's special ids, attributes and EOG test.
/// </summary>
sealed unsafe class LlamaCppVocabulary : IDisposable
{
    static readonly object InitLock = new();
    static bool _initialized;
    readonly LLamaWeights _weights;

    public LlamaCppVocabulary(string ggufPath)
    {
        lock (InitLock)
        {
            if (!_initialized)
            {
                NativeLibraryConfig.All.WithLogCallback((level, message) => { });
                _initialized = true;
            }
        }
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

    public void Dispose() => _weights.Dispose();
}
