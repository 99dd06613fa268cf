using Specula.Engine;

namespace Specula.Tests.Engine;

/// <summary>
/// A scripted chat model (see <see cref="ScriptedChatModel"/>) over the Qwen3 fixture vocabulary and chat
/// template. After the generation prompt (which ends in a newline) it answers "Hi" "!" and then the
/// end-of-turn token &lt;|im_end|&gt;, after which it would go on with "Hi" again; after "Hello" it writes the
/// three byte-level tokens of "𠀋" and ends its turn.
/// </summary>
public sealed class ScriptedModelFixture : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("specula-chat-").FullName;

    public static string Vocabulary => TestPaths.Shared("fixtures/gguf/qwen3-bpe.gguf");
    public const string SplitCharacter = "𠀋";

    public string Path { get; }
    public LoadedModel Model { get; }
    public int Newline { get; }
    public int Hi { get; }
    public int Bang { get; }
    public int EndOfTurn { get; }
    public int Hello { get; }
    public int[] SplitCharacterTokens { get; }

    public ScriptedModelFixture()
    {
        using (var vocabulary = LoadedModel.Load(Vocabulary))
        {
            var tokenizer = vocabulary.Tokenizer;
            Newline = Single(tokenizer.Encode("\n", addSpecial: false));
            Hi = Single(tokenizer.Encode("Hi", addSpecial: false));
            Bang = Single(tokenizer.Encode("!", addSpecial: false));
            EndOfTurn = Single(tokenizer.Encode("<|im_end|>", addSpecial: false, parseSpecial: true));
            Hello = Single(tokenizer.Encode("Hello", addSpecial: false));
            SplitCharacterTokens = tokenizer.Encode(SplitCharacter, addSpecial: false);
        }
        if (SplitCharacterTokens.Length < 2) throw new InvalidOperationException($"{SplitCharacter} is one token; the test needs one split across tokens");

        var script = new Dictionary<int, int>
        {
            [Newline] = Hi,
            [Hi] = Bang,
            [Bang] = EndOfTurn,
            [EndOfTurn] = Hi,
            [Hello] = SplitCharacterTokens[0],
        };
        for (int i = 0; i + 1 < SplitCharacterTokens.Length; i++) script[SplitCharacterTokens[i]] = SplitCharacterTokens[i + 1];
        script[SplitCharacterTokens[^1]] = EndOfTurn;

        Path = System.IO.Path.Combine(_directory, "scripted-qwen3.gguf");
        ScriptedChatModel.Write(Vocabulary, script, Path);
        Model = LoadedModel.Load(Path);
    }

    static int Single(int[] ids) => ids.Length == 1 ? ids[0] : throw new InvalidOperationException($"expected one token, got {ids.Length}");

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
