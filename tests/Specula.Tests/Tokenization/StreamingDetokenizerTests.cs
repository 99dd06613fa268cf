using System.Text;
using Specula.Tokenization;
using Xunit;

namespace Specula.Tests.Tokenization;

/// <summary>The streaming detokenizer never emits half a character and, concatenated, gives the full text.</summary>
public class StreamingDetokenizerTests
{
    static List<string> Stream(Tokenizer tokenizer, IEnumerable<int> ids, bool unparseSpecial = false)
    {
        var streaming = new StreamingDetokenizer(tokenizer, unparseSpecial);
        var chunks = ids.Select(streaming.Push).ToList();
        chunks.Add(streaming.Flush());
        return chunks;
    }

    [Fact]
    public void EmojiSplitOverByteTokensIsHeldBackUntilItsLastByte()
    {
        var llama2 = TokenizerFixtures.Load("llama2-spm");
        int[] ids = llama2.Encode("🦙", addSpecial: false);
        string[] pieces = ["▁", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"];
        Assert.Equal(pieces.Select(p => llama2.FindToken(p)!.Value), ids);

        var chunks = Stream(llama2, ids);
        Assert.Equal([" ", "", "", "", "🦙", ""], chunks);
    }

    [Fact]
    public void ByteLevelPiecesOfAnEmojiAreJoinedBeforeEmitting()
    {
        var llama3 = TokenizerFixtures.Load("llama3-bpe");
        int[] ids = llama3.Encode("a🦙b", addSpecial: false);
        Assert.True(ids.Length > 3, "the emoji should span several byte-level tokens");
        var chunks = Stream(llama3, ids);
        Assert.DoesNotContain(chunks, chunk => chunk.Contains('\uFFFD'));
        Assert.Contains("", chunks.Take(ids.Length));
        Assert.Equal("a🦙b", string.Concat(chunks));
    }

    public static IEnumerable<object[]> RoundTripVocabularies() => [["qwen3-bpe"], ["llama3-bpe"]];

    [Theory]
    [MemberData(nameof(RoundTripVocabularies))]
    public void ChunksNeverSplitACharacterAndConcatenateToThePieces(string vocabulary)
    {
        var tokenizer = TokenizerFixtures.Load(vocabulary);
        foreach (var expected in TokenizerFixtures.Expected(vocabulary))
        {
            var chunks = Stream(tokenizer, expected.Ids);
            var pieces = expected.Ids.SelectMany(id => tokenizer.TokenToPieceBytes(id, unparseSpecial: false)).ToArray();
            Assert.Equal(Encoding.UTF8.GetString(pieces), string.Concat(chunks));
            bool textHasReplacementCharacter = expected.Text.Contains('\uFFFD');
            foreach (string chunk in chunks)
            {
                if (!textHasReplacementCharacter) Assert.DoesNotContain('\uFFFD', chunk);
                Assert.False(chunk.Length > 0 && char.IsHighSurrogate(chunk[^1]), "a chunk ended inside a surrogate pair");
            }
        }
    }

    [Fact]
    public void QwenStreamingEqualsDecodeForEveryFixtureCase()
    {
        // Qwen3 adds no BOS, no prefix space and no space clean-up, so streaming and Decode agree exactly.
        var qwen3 = TokenizerFixtures.Load("qwen3-bpe");
        foreach (var expected in TokenizerFixtures.Expected("qwen3-bpe"))
            Assert.Equal(expected.Detok, string.Concat(Stream(qwen3, expected.Ids)));
    }

    [Fact]
    public void FlushEmitsAnUnfinishedCharacterAsReplacement()
    {
        var llama2 = TokenizerFixtures.Load("llama2-spm");
        var streaming = new StreamingDetokenizer(llama2, unparseSpecial: false);
        Assert.Equal("", streaming.Push(llama2.FindToken("<0xE2>")!.Value));
        Assert.Equal("", streaming.Push(llama2.FindToken("<0x82>")!.Value));
        Assert.Equal("\uFFFD", streaming.Flush());
        Assert.Equal("", streaming.Flush());
        Assert.Equal("a", streaming.Push(llama2.FindToken("<0x61>")!.Value)); // state was reset
    }

    [Fact]
    public void BytesThatCanNeverFormACharacterAreNotHeldBack()
    {
        var llama2 = TokenizerFixtures.Load("llama2-spm");
        var streaming = new StreamingDetokenizer(llama2, unparseSpecial: false);
        Assert.Equal("\uFFFD", streaming.Push(llama2.FindToken("<0xFF>")!.Value));
        Assert.Equal("\uFFFD", streaming.Push(llama2.FindToken("<0x80>")!.Value)); // lone continuation byte
        Assert.Equal("", streaming.Push(llama2.FindToken("<0xF0>")!.Value));
        Assert.Equal("\uFFFDx", streaming.Push(llama2.FindToken("<0x78>")!.Value)); // 'x' cannot continue F0
    }

    [Fact]
    public void SpecialTokensAppearOnlyWhenUnparsed()
    {
        var qwen3 = TokenizerFixtures.Load("qwen3-bpe");
        int imEnd = qwen3.FindToken("<|im_end|>")!.Value;
        Assert.Equal("", new StreamingDetokenizer(qwen3, unparseSpecial: false).Push(imEnd));
        Assert.Equal("<|im_end|>", new StreamingDetokenizer(qwen3, unparseSpecial: true).Push(imEnd));
    }
}
