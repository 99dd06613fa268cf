namespace Specula.Tests.Tensors;

/// <summary>Deterministic float rows that stress the quantizers: ordinary Gaussians at odd magnitudes,
/// scales that underflow or overflow FP16, zeros, outliers, one-signed rows, constant rows, values on
/// the quantization grid (rounding ties), and blocks where +max and -max both occur.</summary>
public static class QuantTestData
{
    public const int RowLength = 512; // two 256-element super-blocks, sixteen 32-element blocks
    public const int Rows = 4;

    public sealed record Dataset(string Name, float[] Values)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Dataset> All()
    {
        foreach (int seed in new[] { 1, 2, 3 })
        {
            yield return Make($"normal/seed{seed}", seed, (r, _) => Normal(r));
            yield return Make($"uniform/seed{seed}", seed, (r, _) => (float)(r.NextDouble() * 2 - 1));
            yield return Make($"outlier/seed{seed}", seed, (r, i) => Normal(r) * (i % RowLength == 37 + seed * 50 ? 1000f : 1f));
            yield return Make($"negative-only/seed{seed}", seed, (r, _) => -MathF.Abs(Normal(r)));
            yield return Make($"positive-only/seed{seed}", seed, (r, _) => MathF.Abs(Normal(r)) + 0.25f);
            yield return Make($"mixed-magnitudes/seed{seed}", seed, (r, _) => Normal(r) * MathF.Pow(10, (float)(r.NextDouble() * 8 - 4)));
            yield return Make($"sparse-zeros/seed{seed}", seed, (r, _) => r.Next(2) == 0 ? 0f : Normal(r));
        }
        foreach (float scale in new[] { 1e-3f, 1e3f, 1e-6f, 1e-30f, 1e-37f, 3e-39f, 1e6f })
            yield return Make($"normal*{scale:g}", 7, (r, _) => Normal(r) * scale);
        yield return Make("zeros", 0, (_, _) => 0f);
        yield return Make("zero-blocks", 11, (r, i) => (i / 32) % 2 == 0 ? 0f : Normal(r));
        yield return Make("zero-super-blocks", 12, (r, i) => (i / 256) % 2 == 0 ? 0f : Normal(r));
        yield return Make("huge-outlier", 13, (r, i) => i % RowLength == 300 ? 1e5f : Normal(r) * 0.01f);
        yield return Make("negative-outlier", 14, (r, i) => i % RowLength == 5 ? -250f : Normal(r));
        yield return Make("constant", 0, (_, _) => 0.37f);
        yield return Make("constant-negative", 0, (_, _) => -1.5f);
        yield return Make("integer-grid", 15, (r, _) => r.Next(-8, 9));
        yield return Make("half-integer-grid", 16, (r, _) => r.Next(-16, 17) * 0.5f);
        yield return Make("plus-and-minus-max", 17, (r, i) => (i % 16) switch { 3 => 2f, 9 => -2f, _ => Normal(r) });
        yield return Make("minus-then-plus-max", 18, (r, i) => (i % 16) switch { 3 => -2f, 9 => 2f, _ => Normal(r) });
        // Blocks whose largest magnitude makes the scale exactly 1, so many values land exactly half-way
        // between two quants: 127 for the 8-bit types, -8 for Q4_0, -16 for Q5_0.
        foreach (float max in new[] { 127f, -127f, -8f, -16f })
            yield return Make($"half-way-ties/max{max}", 19, (r, i) => i % 32 == 7 ? max : r.Next(-2 * (int)MathF.Abs(max), 2 * (int)MathF.Abs(max) + 1) * 0.5f);
        yield return Make("ramp", 0, (_, i) => (i % RowLength) / 100f - 2.5f);
    }

    static Dataset Make(string name, int seed, Func<Random, int, float> value)
    {
        var random = new Random(seed);
        var values = new float[Rows * RowLength];
        for (int i = 0; i < values.Length; i++) values[i] = value(random, i);
        return new Dataset(name, values);
    }

    static float Normal(Random random)
    {
        // Box-Muller; deterministic for a seed.
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}
