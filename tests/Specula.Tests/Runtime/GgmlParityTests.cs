using Specula.Kernels;
using Specula.Runtime;
using Specula.Tests.Kernels;
using Xunit;
using static Specula.Tests.Runtime.GgmlNative;

namespace Specula.Tests.Runtime;

/// <summary>
/// Each operation of the forward pass outside the matrix multiplications against the same ggml operation
/// run by llama.cpp's CPU library, bit for bit, at every vector width: RMS norm with its weight, RoPE (both
/// pairings, with frequency factors), SwiGLU, softmax with scale and causal mask, and one token's attention
/// (KQ, softmax, KQV) over a KV cache laid out as llama.cpp's. Inputs reach the corner cases: exponents that
/// underflow to subnormals or zero and overflow to infinity, rows with a tail shorter than 16, head sizes
/// with and without a whole 64-element step.
/// </summary>
[Collection(KernelOptionsCollection.Name)]
public class GgmlParityTests
{
    static float[] Random(int count, float scale, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)) * scale;
        }
        return values;
    }

    static void AssertBitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, ggml gives {expected[i]:R}");
        }
    }

    public static TheoryData<int> Widths => new() { 512, 256, 128 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void RmsNormTimesWeightEqualsGgml(int width)
    {
        using var scope = new VectorWidthScope(width);
        const int d = 760, rows = 6;
        var x = Random(d * rows, 3f, 1);
        var w = Random(d, 0.2f, 2);
        for (int i = 0; i < d; i++) w[i] += 1f;
        using var ggml = new Context();
        var expected = ggml.Compute(ggml_mul(ggml.Handle, ggml_rms_norm(ggml.Handle, ggml.Tensor(x, d, rows), 1e-5f), ggml.Tensor(w, d)), d * rows);

        var actual = new float[d * rows];
        for (int r = 0; r < rows; r++) RmsNorm.Apply(x.AsSpan(r * d, d), w, 1e-5f, actual.AsSpan(r * d, d));
        AssertBitIdentical(expected, actual, "rms_norm * weight");
    }

    [Theory]
    [InlineData(512, RopeNormal, false)]
    [InlineData(512, RopeNormal, true)]
    [InlineData(512, RopeNeox, false)]
    [InlineData(128, RopeNeox, true)]
    public void RopeEqualsGgml(int width, int mode, bool frequencyFactors)
    {
        using var scope = new VectorWidthScope(width);
        const int headSize = 64, heads = 4, tokens = 6;
        var x = Random(headSize * heads * tokens, 1f, 3);
        int[] positions = [0, 1, 37, 500, 4095, 70000];
        var factors = new float[headSize / 2];
        for (int i = 0; i < factors.Length; i++) factors[i] = 1f + i * 0.37f;
        using var ggml = new Context();
        var rope = ggml_rope_ext(ggml.Handle, ggml.Tensor(x, headSize, heads, tokens), ggml.Positions(positions),
            frequencyFactors ? ggml.Tensor(factors, factors.Length) : IntPtr.Zero,
            headSize, mode, 4096, 10000f, 1f, 0f, 1f, 32f, 1f);
        var expected = ggml.Compute(rope, x.Length);

        var actual = (float[])x.Clone();
        var angles = new float[headSize];
        for (int t = 0; t < tokens; t++)
        {
            Rope.ComputeAngles(positions[t], headSize, 10000f, 1f, frequencyFactors ? factors : default, angles);
            Rope.Apply(actual.AsSpan(t * headSize * heads, headSize * heads), heads, headSize, headSize,
                mode == RopeNormal ? RopeStyle.Normal : RopeStyle.Neox, angles);
        }
        AssertBitIdentical(expected, actual, "rope");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SwiGluEqualsGgml(int width)
    {
        using var scope = new VectorWidthScope(width);
        const int n = 2056, rows = 3; // a tail of 8 after the runs of 16
        var gate = Random(n * rows, 4f, 4);
        var up = Random(n * rows, 1f, 5);
        // Far out: e^-x overflows (x < -88.7), its exponent leaves the normal range, or it underflows to 0.
        float[] extremes = [-200f, -100f, -89f, -88.5f, -87.5f, 87.5f, 88.5f, 100f, 104f, 150f, 200f, 0f, -0f, 1e-30f];
        extremes.CopyTo(gate, 0);
        extremes.CopyTo(gate, n - extremes.Length); // also in the tail
        using var ggml = new Context();
        var expected = ggml.Compute(ggml_swiglu_split(ggml.Handle, ggml.Tensor(gate, n, rows), ggml.Tensor(up, n, rows)), n * rows);

        var actual = (float[])gate.Clone();
        Activations.SwiGluInPlace(actual, up, n);
        AssertBitIdentical(expected, actual, "swiglu");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void SoftmaxWithScaleAndCausalMaskEqualsGgml(int width)
    {
        using var scope = new VectorWidthScope(width);
        const int n = 200, rows = 12;
        const float scale = 0.125f;
        var scores = Random(n * rows, 40f, 6); // spreads beyond 87: exponents of subnormals and zeros
        var mask = new float[n * rows];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < n; j++) mask[r * n + j] = j <= 100 + 9 * r ? 0f : float.NegativeInfinity;
        using var ggml = new Context();
        var expected = ggml.Compute(ggml_soft_max_ext(ggml.Handle, ggml.Tensor(scores, n, rows), ggml.Tensor(mask, n, rows), scale, 0f), n * rows);

        var actual = new float[n * rows];
        for (int r = 0; r < rows; r++)
        {
            var row = actual.AsSpan(r * n, n);
            for (int j = 0; j < n; j++) row[j] = scores[r * n + j] * scale + mask[r * n + j];
            Softmax.InPlace(row); // n = 200: twelve runs of 16 and a tail of 8
        }
        AssertBitIdentical(expected, actual, "soft_max");
    }

    [Theory]
    [InlineData(512, 16, 1)]
    [InlineData(512, 64, 17)]
    [InlineData(512, 80, 200)]
    [InlineData(512, 128, 64)]
    [InlineData(256, 64, 65)]
    [InlineData(128, 80, 33)]
    public void OneTokensAttentionEqualsGgml(int width, int headSize, int visibleRows)
    {
        using var scope = new VectorWidthScope(width);
        const int heads = 4, kvHeads = 2, kvCells = 256, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(headSize);
        var keys = Random(kvCells * kvHeads * headSize, 1f, 7);   // cell-major: [cell][kv head][dim], as llama.cpp's K cache
        var values = Random(kvCells * kvHeads * headSize, 1f, 8); // the same order; llama.cpp stores it transposed
        var query = Random(heads * headSize, 1f, 9);

        using var ggml = new Context();
        var h = ggml.Handle;
        var kCache = ggml.Tensor(keys, kvHeads * headSize, kvCells);
        var transposed = new float[values.Length];
        for (int cell = 0; cell < kvCells; cell++)
            for (int c = 0; c < kvHeads * headSize; c++) transposed[c * kvCells + cell] = values[cell * kvHeads * headSize + c];
        var vCache = ggml.Tensor(transposed, kvCells, kvHeads * headSize);
        var k = ggml_permute(h, ggml_view_3d(h, kCache, headSize, kvHeads, kvCells, (nuint)(headSize * 4), (nuint)(kvHeads * headSize * 4), 0), 0, 2, 1, 3);
        var q = ggml_permute(h, ggml.Tensor(query, headSize, heads, 1), 0, 2, 1, 3);
        var mask = new float[kvCells];
        for (int j = visibleRows; j < kvCells; j++) mask[j] = float.NegativeInfinity;
        var probabilities = ggml_soft_max_ext(h, ggml_mul_mat(h, k, q), ggml.Tensor(mask, kvCells, 1), scale, 0f);
        var v = ggml_permute(h, ggml_view_3d(h, vCache, kvCells, kvHeads, headSize, (nuint)(kvCells * headSize * 4), (nuint)(kvCells * 4), 0), 0, 2, 1, 3);
        var expected = ggml.Compute(ggml_mul_mat(h, v, probabilities), heads * headSize);

        var cache = new KvCache(1, kvHeads, headSize, headSize, kvCells, kvCells);
        int sequence = cache.CreateSequence();
        var table = cache.Table(sequence);
        cache.Grow(table, visibleRows);
        int width1 = kvHeads * headSize;
        for (int row = 0; row < visibleRows; row++)
            cache.WriteRow(0, table, row, keys.AsSpan(row * width1, width1), values.AsSpan(row * width1, width1));
        var scratch = new Attention.Scratch(group, kvCells);
        // With and without prefetching (a decode step's setting and a prefill's).
        foreach (bool prefetch in new[] { true, false })
        {
            var actual = new float[heads * headSize];
            for (int kvHead = 0; kvHead < kvHeads; kvHead++)
                Attention.Group(query.AsSpan(kvHead * group * headSize, group * headSize), group, headSize, scale,
                    cache, table, 0, kvHead, headSize, visibleRows, [], scratch, actual.AsSpan(kvHead * group * headSize, group * headSize), prefetch);
            AssertBitIdentical(expected, actual, prefetch ? "attention" : "attention without prefetching");
        }
    }
}
