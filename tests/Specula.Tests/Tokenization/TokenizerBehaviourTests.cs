using System.Diagnostics;
using Specula.Gguf;
using Specula.Tokenization;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>The facade's contract on the fixture vocabularies: special ids, BOS handling, end-of-generation,
/// special-token parsing, detokenization options, lookups, and clear errors for bad input.</summary>
public class TokenizerBehaviourTests
{
    static Tokenizer Llama2 => TokenizerFixtures.Load("llama2-spm");
    static Tokenizer Llama3 => TokenizerFixtures.Load("llama3-bpe");
    static Tokenizer Qwen3 => TokenizerFixtures.Load("qwen3-bpe");

    public static IEnumerable<object[]> Vocabularies() => TokenizerFixtures.Vocabularies.Select(v => new object[] { v });

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void AddSpecialFalseGivesTheSameIdsWithoutTheLeadingBos(string vocabulary)
    {
        var tokenizer = TokenizerFixtures.Load(vocabulary);
        var expected = TokenizerFixtures.Expected(vocabulary);
        for (int i = 0; i < expected.Length; i++)
        {
            int[] withSpecial = expected[i].Ids;
            int[] without = tokenizer.Encode(expected[i].Text, addSpecial: false);
            if (tokenizer.AddBos)
            {
                Assert.Equal(tokenizer.BosId, withSpecial[0]);
                Assert.Equal(withSpecial[1..], without);
            }
            else Assert.Equal(withSpecial, without);
        }
    }

    [Fact]
    public void SpecialIdsAreThoseOfTheFixtureTable()
    {
        Assert.Equal((1, 2, (int?)null, (int?)null, (int?)0, true), (Llama2.BosId!.Value, Llama2.EosId!.Value, Llama2.EotId, Llama2.PadId, Llama2.UnkId, Llama2.AddBos));
        Assert.Equal((128000, 128009, (int?)128009, (int?)null, true), (Llama3.BosId!.Value, Llama3.EosId!.Value, Llama3.EotId, Llama3.PadId, Llama3.AddBos));
        Assert.Equal((151643, 151645, (int?)151645, (int?)151643, false), (Qwen3.BosId!.Value, Qwen3.EosId!.Value, Qwen3.EotId, Qwen3.PadId, Qwen3.AddBos));
        Assert.Equal((32000, 128256, 151936), (Llama2.VocabSize, Llama3.VocabSize, Qwen3.VocabSize));
        Assert.Equal(("llama", "gpt2", "gpt2"), (Llama2.ModelName, Llama3.ModelName, Qwen3.ModelName));
        Assert.Equal(("llama-bpe", "qwen2"), (Llama3.PreTokenizerName, Qwen3.PreTokenizerName));
    }

    [Fact]
    public void EndOfGenerationHoldsEosEotAndTheTokensLlamaCppRecognisesByText()
    {
        Assert.True(Llama3.IsEndOfGeneration(128009));                          // <|eot_id|>, EOS and EOT
        Assert.True(Llama3.IsEndOfGeneration(Llama3.FindToken("<|end_of_text|>")!.Value));
        Assert.False(Llama3.IsEndOfGeneration(128000));                         // BOS
        Assert.True(Qwen3.IsEndOfGeneration(Qwen3.FindToken("<|im_end|>")!.Value));
        Assert.True(Qwen3.IsEndOfGeneration(Qwen3.FindToken("<|endoftext|>")!.Value));
        Assert.True(Qwen3.IsEndOfGeneration(Qwen3.FindToken("</s>")!.Value));
        Assert.False(Qwen3.IsEndOfGeneration(Qwen3.FindToken("<|im_start|>")!.Value));
        Assert.False(Qwen3.IsEndOfGeneration(Qwen3.FindToken("hello")!.Value));
        Assert.True(Llama2.IsEndOfGeneration(2));
        Assert.Equal([2], Llama2.EndOfGenerationIds);
        Assert.False(Llama2.IsEndOfGeneration(-1));
        Assert.False(Llama2.IsEndOfGeneration(1_000_000));
    }

    [Fact]
    public void QwenCloseSIsRetypedAsControlSoOnlyParseSpecialTurnsItIntoOneToken()
    {
        int closeS = Qwen3.FindToken("</s>")!.Value;
        Assert.Equal(128247, closeS);
        Assert.True(Qwen3.GetAttributes(closeS).HasFlag(TokenAttributes.Control));
        Assert.Equal([closeS], Qwen3.Encode("</s>", parseSpecial: true));
        Assert.NotEqual([closeS], Qwen3.Encode("</s>", parseSpecial: false));
    }

    [Fact]
    public void UserDefinedTokensAreMatchedWithoutParseSpecial()
    {
        int think = Qwen3.FindToken("<think>")!.Value;
        Assert.Equal(TokenAttributes.UserDefined, Qwen3.GetAttributes(think));
        int[] ids = Qwen3.Encode("a<think>b", parseSpecial: false);
        Assert.Contains(think, ids);
        int imStart = Qwen3.FindToken("<|im_start|>")!.Value;
        Assert.DoesNotContain(imStart, Qwen3.Encode("<|im_start|>", parseSpecial: false));
        Assert.Equal([imStart], Qwen3.Encode("<|im_start|>", parseSpecial: true));
    }

    [Fact]
    public void SentencePieceDropsTheLeadingSpaceOnlyWhenTheFirstTokenIsNotBos()
    {
        int[] ids = Llama2.Encode("Hello world");
        Assert.Equal([1, 15043, 3186], ids);
        Assert.Equal(" Hello world", Llama2.Decode(ids));
        Assert.Equal("Hello world", Llama2.Decode(ids.AsSpan(1)));
        Assert.Equal(" Hello world", Llama2.Decode(ids, removeSpecial: true)); // BOS removed: its space stays
        Assert.Equal("<s> Hello world", Llama2.Decode(ids, unparseSpecial: true));
    }

    [Fact]
    public void RemoveSpecialDropsOnlyTheBosAndEosTheVocabularyAdds()
    {
        int[] ids = [128000, 15339, 1917, 128009];
        Assert.Equal("hello world", Llama3.Decode(ids));
        Assert.Equal("<|begin_of_text|>hello world<|eot_id|>", Llama3.Decode(ids, unparseSpecial: true));
        Assert.Equal("hello world<|eot_id|>", Llama3.Decode(ids, removeSpecial: true, unparseSpecial: true)); // add_eos is false
    }

    [Fact]
    public void Llama3CleansUpSpacesBeforePunctuationAndQwenDoesNot()
    {
        const string text = "Is it ok ? Yes , it 's fine .";
        Assert.Equal("Is it ok? Yes, it's fine.", Llama3.Decode(Llama3.Encode(text, addSpecial: false)));
        Assert.Equal(text, Qwen3.Decode(Qwen3.Encode(text, addSpecial: false)));
    }

    [Fact]
    public void FindTokenAndTokenTextAreInverses()
    {
        foreach (var tokenizer in new[] { Llama2, Llama3, Qwen3 })
        {
            for (int id = 0; id < tokenizer.VocabSize; id += 997)
                Assert.Equal(id, tokenizer.FindToken(tokenizer.TokenText(id)));
            Assert.Null(tokenizer.FindToken("certainly not a token in any vocabulary \u2603\u2603"));
        }
        Assert.Equal("▁Hello", Llama2.TokenText(15043));
        Assert.Equal("Ġworld", Llama3.TokenText(1917));
    }

    [Fact]
    public void PiecesAreRawBytesAndSpecialPiecesAppearOnlyWhenUnparsed()
    {
        int byteF0 = Llama2.FindToken("<0xF0>")!.Value;
        Assert.Equal([0xF0], Llama2.TokenToPieceBytes(byteF0, unparseSpecial: false));
        Assert.Equal(" Hello"u8.ToArray(), Llama2.TokenToPieceBytes(15043, unparseSpecial: false));
        Assert.Empty(Llama2.TokenToPieceBytes(1, unparseSpecial: false));
        Assert.Equal("<s>"u8.ToArray(), Llama2.TokenToPieceBytes(1, unparseSpecial: true));
        Assert.Equal(" world"u8.ToArray(), Llama3.TokenToPieceBytes(1917, unparseSpecial: false));
    }

    [Fact]
    public void StoriesModelWithPlaceholderVocabularyLoadsAndFallsBackToBytes()
    {
        var tokenizer = TokenizerFixtures.LoadFile(TestPaths.Shared("models/stories260K.gguf"));
        Assert.Equal(512, tokenizer.VocabSize);
        Assert.Equal((1, 2, true), (tokenizer.BosId!.Value, tokenizer.EosId!.Value, tokenizer.AddBos));
        // "▁Hello" has no pieces in the placeholder vocabulary: byte tokens <0xNN> are ids 3 + NN.
        int[] expected = [1, .. "▁Hello"u8.ToArray().Select(b => 3 + b)];
        Assert.Equal(expected, tokenizer.Encode("Hello"));
    }

    [Fact]
    public void OutOfRangeIdsAreRejectedWithTheirValue()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Llama2.Decode([1, 32000]));
        Assert.Contains("32000", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Llama3.Decode([-1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Qwen3.TokenToPieceBytes(151936, unparseSpecial: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Qwen3.TokenText(-5));
        Assert.Throws<ArgumentNullException>(() => Qwen3.Encode(null!));
    }

    [Fact]
    public void EmptyTextAndEmptyIdsAreFine()
    {
        Assert.Equal([1], Llama2.Encode(""));
        Assert.Empty(Llama2.Encode("", addSpecial: false));
        Assert.Empty(Qwen3.Encode(""));
        Assert.Equal("", Qwen3.Decode([]));
    }

    [Fact]
    public void LongRepetitiveWordsTokenizeInLinearTime()
    {
        // A priority queue over merge ranks keeps BPE at O(n log n); a quadratic loop would take seconds here.
        string word = new('a', 50_000);
        var stopwatch = Stopwatch.StartNew();
        int[] ids = Llama3.Encode(word, addSpecial: false);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"50k-byte word took {stopwatch.Elapsed}");
        Assert.Equal(word, Llama3.Decode(ids));
        Assert.Equal(word, Llama2.Decode(Llama2.Encode(word, addSpecial: false)));
    }
}

/// <summary>Malformed or unsupported tokenizer metadata gives one clear exception naming the problem.</summary>
public class TokenizerMetadataErrorTests : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    Tokenizer Load(GgufWriter writer)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.gguf");
        writer.WriteTo(path);
        return TokenizerFixtures.LoadFile(path);
    }

    static GgufWriter TinyBpe() => new GgufWriter()
        .Set("general.architecture", "llama")
        .Set("tokenizer.ggml.model", "gpt2")
        .Set("tokenizer.ggml.pre", "gpt-2")
        .Set("tokenizer.ggml.tokens", new[] { "a", "b", "ab", "Ġ", "Ġab" })
        .Set("tokenizer.ggml.token_type", new[] { 1, 1, 1, 1, 1 })
        .Set("tokenizer.ggml.merges", new[] { "a b", "Ġ ab" });

    [Fact]
    public void TinyHandWrittenBpeVocabularyMergesByRank()
    {
        var tokenizer = Load(TinyBpe());
        Assert.Equal([2, 4, 0], tokenizer.Encode("ab aba"));
        Assert.Null(tokenizer.BosId); // the default BOS id 11 is outside this vocabulary
        Assert.Equal("ab aba", tokenizer.Decode([2, 4, 0]));
    }

    [Fact]
    public void MissingTokenizerIsInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => Load(new GgufWriter().Set("general.architecture", "llama")));
        Assert.Contains("tokenizer.ggml.model", error.Message);
    }

    [Fact]
    public void UnsupportedModelAndPreTokenizerAreNamed()
    {
        var model = Assert.Throws<NotSupportedException>(() => Load(TinyBpe().Set("tokenizer.ggml.model", "t5")));
        Assert.Contains("'t5'", model.Message);
        var pre = Assert.Throws<NotSupportedException>(() => Load(TinyBpe().Set("tokenizer.ggml.pre", "klingon")));
        Assert.Contains("'klingon'", pre.Message);
    }

    [Fact]
    public void BpeWithoutMergesIsInvalidData()
    {
        var writer = new GgufWriter()
            .Set("tokenizer.ggml.model", "gpt2")
            .Set("tokenizer.ggml.tokens", new[] { "a", "b" });
        var error = Assert.Throws<InvalidDataException>(() => Load(writer));
        Assert.Contains("tokenizer.ggml.merges", error.Message);
    }

    [Fact]
    public void ShortScoreOrTypeArraysAreInvalidData()
    {
        var scores = Assert.Throws<InvalidDataException>(() => Load(TinyBpe().Set("tokenizer.ggml.scores", new[] { 0f, 1f })));
        Assert.Contains("tokenizer.ggml.scores", scores.Message);
        var types = Assert.Throws<InvalidDataException>(() => Load(TinyBpe().Set("tokenizer.ggml.token_type", new[] { 1 })));
        Assert.Contains("tokenizer.ggml.token_type", types.Message);
        var wrongType = Assert.Throws<InvalidDataException>(() => Load(TinyBpe().Set("tokenizer.ggml.tokens", new[] { 1, 2 })));
        Assert.Contains("tokenizer.ggml.tokens", wrongType.Message);
    }

    [Fact]
    public void AddBosWithoutABosTokenIsInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => Load(TinyBpe().Set("tokenizer.ggml.add_bos_token", true)));
        Assert.Contains("bos", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void SentencePieceTextWithoutAByteTokenIsInvalidData()
    {
        var writer = new GgufWriter()
            .Set("tokenizer.ggml.model", "llama")
            .Set("tokenizer.ggml.tokens", new[] { "<unk>", "<s>", "</s>", "▁a" })
            .Set("tokenizer.ggml.scores", new[] { 0f, 0f, 0f, -1f })
            .Set("tokenizer.ggml.token_type", new[] { 2, 3, 3, 1 });
        var tokenizer = Load(writer);
        Assert.Equal([1, 3], tokenizer.Encode("a"));
        var error = Assert.Throws<InvalidDataException>(() => tokenizer.Encode("ab"));
        Assert.Contains("<0x62>", error.Message);
    }
}
