namespace Specula.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet: every byte is spelled as one printable character so that byte-level BPE vocabularies
/// can be stored as text. Printable Latin-1 bytes (0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF) stand for themselves; the other
/// 68 bytes take the characters U+0100 upwards, in byte order (so a space is 'Ġ' U+0120, a newline 'Ċ' U+010A).
/// </summary>
static class ByteLevelAlphabet
{
    const int CharLimit = 256 + 68;
    static readonly char[] CharOfByte = new char[256];
    static readonly short[] ByteOfChar = new short[CharLimit];

    static ByteLevelAlphabet()
    {
        Array.Fill(ByteOfChar, (short)-1);
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            char c = printable ? (char)b : (char)next++;
            CharOfByte[b] = c;
            ByteOfChar[c] = (short)b;
        }
    }

    public static char CharFor(byte b) => CharOfByte[b];

    /// <summary>The byte a character of the alphabet stands for, or -1 for a character outside it.</summary>
    public static int ByteFor(int c) => (uint)c < CharLimit ? ByteOfChar[c] : -1;

    /// <summary>Writes the bytes that <paramref name="text"/> spells into <paramref name="destination"/> (which must
    /// hold <c>text.Length</c> bytes). Returns false when a character is outside the alphabet.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        for (int i = 0; i < text.Length; i++)
        {
            int b = ByteFor(text[i]);
            if (b < 0) return false;
            destination[i] = (byte)b;
        }
        return true;
    }
}
