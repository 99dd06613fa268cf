using System.Runtime.CompilerServices;

namespace Specula.Tensors;

// Fixed-size byte/int arrays embedded in the block structs, so a block's layout reads like ggml's C struct
// and a row of raw bytes can be viewed as a span of blocks with MemoryMarshal.Cast. Each converts
// implicitly to Span<T> / ReadOnlySpan<T>.

[InlineArray(4)] public struct Bytes4 { byte _element; }
[InlineArray(12)] public struct Bytes12 { byte _element; }
[InlineArray(16)] public struct Bytes16 { byte _element; }
[InlineArray(32)] public struct Bytes32 { byte _element; }
[InlineArray(64)] public struct Bytes64 { byte _element; }
[InlineArray(128)] public struct Bytes128 { byte _element; }
[InlineArray(16)] public struct SBytes16 { sbyte _element; }
[InlineArray(32)] public struct SBytes32 { sbyte _element; }
[InlineArray(256)] public struct SBytes256 { sbyte _element; }
[InlineArray(16)] public struct Shorts16 { short _element; }
