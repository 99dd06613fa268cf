using System.Text;

namespace Specula.Tokenization;

/// <summary>One regular expression of a llama.cpp pre-tokenizer, implemented as a scanner over code point classes.</summary>
enum SplitRule
{
    /// <summary><c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c></summary>
    Gpt2,
    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c></summary>
    Llama3,
    /// <summary>The Llama-3 expression with <c>\p{N}</c> (one digit per word) in place of <c>\p{N}{1,3}</c>.</summary>
    Qwen2,
    /// <summary>Mistral's Tekken: <c>[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c></summary>
    Tekken,
    /// <summary>GPT-4o (also Llama 4): the Tekken expression with an optional contraction after each word and
    /// <c>\p{N}{1,3}</c>.</summary>
    Gpt4o,
    /// <summary><c>\p{N}</c>: every number character on its own.</summary>
    EachNumber,
    /// <summary><c>\p{N}+</c></summary>
    NumberRuns,
    /// <summary><c>[\p{P}\$\+&lt;=&gt;\^~\|]+</c></summary>
    PunctuationRuns,
    /// <summary><c>[0-9][0-9][0-9]</c></summary>
    AsciiDigitTriples,
}

/// <summary>
/// Splits text into the words that byte-level BPE then merges, as llama.cpp's <c>unicode_regex_split</c> does for a
/// pre-tokenizer's list of expressions: each expression splits every piece the previous one produced into its
/// matches and the gaps between them. The expressions are hand-written scanners that follow llama.cpp's semantics
/// (leftmost alternative wins, greedy runs, <c>\s</c> = White_Space, categories per <see cref="CodepointClassifier"/>).
/// </summary>
sealed class PreTokenizer
{
    readonly SplitRule[] _rules;

    public PreTokenizer(params SplitRule[] rules) => _rules = rules;

    /// <summary>Working buffers for one call, reused across fragments.</summary>
    public sealed class Workspace
    {
        internal int[] Codepoints = new int[64];
        internal CodepointClass[] Classes = new CodepointClass[64];
        internal int[] ByteOffsets = new int[65];
        internal List<int> Lengths = new();
        internal List<int> NextLengths = new();
    }

    /// <summary>Fills <paramref name="wordEnds"/> with the byte offset just past each word of <paramref name="utf8"/>
    /// (valid UTF-8), in order; words are contiguous and cover the text.</summary>
    public void Split(ReadOnlySpan<byte> utf8, Workspace workspace, List<int> wordEnds)
    {
        wordEnds.Clear();
        int count = Decode(utf8, workspace);
        if (count == 0) return;

        var lengths = workspace.Lengths;
        var next = workspace.NextLengths;
        lengths.Clear();
        lengths.Add(count);
        var cps = workspace.Codepoints.AsSpan(0, count);
        var classes = workspace.Classes.AsSpan(0, count);
        foreach (var rule in _rules)
        {
            next.Clear();
            int start = 0;
            foreach (int length in lengths)
            {
                var scanner = new WordScanner(cps, classes, start, start + length, next);
                scanner.Run(rule);
                start += length;
            }
            (lengths, next) = (next, lengths);
        }

        int at = 0;
        foreach (int length in lengths)
        {
            at += length;
            wordEnds.Add(workspace.ByteOffsets[at]);
        }
    }

    static int Decode(ReadOnlySpan<byte> utf8, Workspace workspace)
    {
        if (workspace.Codepoints.Length < utf8.Length)
        {
            workspace.Codepoints = new int[utf8.Length];
            workspace.Classes = new CodepointClass[utf8.Length];
            workspace.ByteOffsets = new int[utf8.Length + 1];
        }
        int count = 0, offset = 0;
        while (offset < utf8.Length)
        {
            Rune.DecodeFromUtf8(utf8[offset..], out var rune, out int consumed);
            workspace.Codepoints[count] = rune.Value;
            workspace.Classes[count] = CodepointClassifier.Classify(rune.Value);
            workspace.ByteOffsets[count] = offset;
            offset += consumed;
            count++;
        }
        workspace.ByteOffsets[count] = offset;
        return count;
    }
}
