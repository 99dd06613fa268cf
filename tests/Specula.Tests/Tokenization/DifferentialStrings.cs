using System.Text;

namespace Specula.Tests.Tokenization;

/// <summary>Texts for comparing with llama.cpp beyond the fixtures: hand-written ones (mixed scripts, code, long
/// numbers, ...) and seeded random mixes of the characters that make tokenizers disagree.</summary>
static class DifferentialStrings
{
    public static readonly string[] Handwritten =
    [
        "Привет, мир! Hello, 世界! مرحبا بالعالم 🌍",
        "日本語とEnglishが混ざったtext、そして한국어도 조금.",
        "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
        "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; } // dot product\r\n",
        "SELECT id, name FROM users WHERE email LIKE '%@example.com' ORDER BY id DESC;",
        "{\"key\": [1, 2.5e-3, null, true], \"nested\": {\"ü\": \"\\u00fc\"}}",
        "$ curl -sSL https://example.com/install.sh | bash -s -- --prefix=/usr/local",
        "C:\\Users\\me\\Documents\\report (final) v2.docx",
        "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899",
        "1234567890123456789012345678901234567890 and 1,234,567.89 and -0.000001",
        "٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ०१२३४५६७८९ ０１２３４５６７８９ ⅠⅡⅢⅣ ½¼¾ x²+y³",
        "I'm sure you've heard they'll say it's 'quoted' and I'D SAY WE'RE done, don't you?",
        "   leading, trailing and   multiple   spaces   ",
        "tabs\tand\t\tnewlines\n\n\nand\r\ncarriage returns\rhere",
        "non\u00a0breaking\u2009thin\u3000ideographic\u2028line\u2029paragraph",
        "e\u0301 a\u0308 n\u0303 \u0301\u0302\u0303 Z\u0351\u0352\u0353\u0354",
        "👨‍👩‍👧‍👦 👍🏽 🇯🇵🇫🇷 1️⃣ ❤️‍🔥 🏳️‍🌈 🧑🏿‍💻",
        "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi! [/INST]</s>",
        "<|im_start|>system\nYou are Qwen.<|im_end|>\n<|im_start|>user\n<think>hmm</think><|im_end|>",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>",
        "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|> <tool_call>{}</tool_call> <|endoftext|>",
        "partial <|im_start and <|im_end| and </s and <unk> and < s > and <<s>>",
        "\u0000\u0001\u001f\u007f\u0080\u009f\u200b\u200d\ufeff\ufffd\uffff\ue000\U0010FFFD",
        "ThisIsCamelCase_and_snake_case-and-kebab-case.and.dots",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Ελληνικά, עברית, ไทย, ქართული, Tiếng Việt, Türkçe, Ελλάδα!",
        " ' ' ' \" \" ?! ... ,,, ;; :: — – - ‘curly’ “double”",
        "mixed 123abc456 abc123def 1a2b3c 3rd 21st 100% $5.00 €10 £3",
        "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n",
        "a\u1C89b \U00010D40\U00010D41\U00010D42 1\U00010D401 \U0001E5D0's \U00013460x",
        "HTTPServer iPhone XMLHttpRequest getHTTPResponseCode ÉCOLEpolytechnique ÀÉÎõü McDonald's DON'T O'Neil'S",
        "ABCdef abcDEF AbC aBc ÜBERgröße straßeSTRASSE ΑΒΓδεζ ДОМдом 'ABC'S it'LL WE'RE",
        "x1y22z333w4444 A1B2C3 HELLO123world v2.0.1-BETA+build.7",
        "ÉCOLE ÉTAT ÑANDÚ ÄAB ééXY ΩωAB ДОМx xДОМ aÉB ÉaB",
    ];

    static readonly string[] Atoms =
    [
        "hello", "World", "the", "I", "a", "HTTP", "Server", "iOS", "ÉÉ", "éé", "Ωω", "McD", "XY", "zz", "ü", "é", "ß", "Ж", "ω", "中", "文字", "한", "ท", "अ", "ا", "ש", "ñ",
        "0", "7", "42", "123", "2024", "31415926", "٣", "۴", "७", "５", "Ⅻ", "²", "½",
        " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\r", "\u000b", "\u000c", "\u00a0", "\u3000", "\u2028", "\u0085", "\u2003",
        ".", ",", "!", "?", "...", "'", "\"", "`", "'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'m", "'t", "n't",
        "-", "_", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "|", "~", "^", "$", "+", "=", "*", "&", "#", "@", "%", ":", ";",
        "€", "©", "∑", "→", "★", "♪", "🦙", "😀", "👍🏽", "👨‍👩‍👧", "🇩🇪", "❤️",
        "\u0301", "\u0308", "\u200b", "\u200d", "\ufeff", "\u0000", "\u0007", "\u001f", "\u007f", "\u0090", "\ue000", "\uffff", "\U0010FFFD", "\ufffd",
        "\U00010D40", "\U0001E5D0", "\U0001CC00",
        "<s>", "</s>", "<unk>", "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>",
        "<think>", "</think>", "<tool_call>", "[INST]", "<|fim_prefix|>", "<|im_start", "<|",
    ];

    /// <summary>Random texts of 1 to 14 atoms, reproducible from <paramref name="seed"/>.</summary>
    public static string[] Random(int seed, int count)
    {
        var random = new Random(seed);
        var texts = new string[count];
        var builder = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Clear();
            int atoms = random.Next(1, 15);
            for (int a = 0; a < atoms; a++)
            {
                builder.Append(Atoms[random.Next(Atoms.Length)]);
                if (random.Next(3) == 0) builder.Append(' ');
            }
            texts[i] = builder.ToString();
        }
        return texts;
    }

    public static string[] All(int seed) => [.. Handwritten, .. Random(seed, 150)];
}
