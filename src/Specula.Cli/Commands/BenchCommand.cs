using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Specula.Kernels;
using Specula.Tensors;

namespace Specula.Cli.Commands;

/// <summary>
/// <c>specula bench (-m MODEL | --synthetic PRESET[:TYPE]) [-p 128] [-n 64] [--threads N] [--reps R]
/// [--type TYPE] [--kv-type f32|f16] [--json]</c>: prefill and decode tokens per second (medians after a warm-up), the machine's
/// read bandwidth and decode as a share of the bandwidth bound.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file to benchmark" };
        var synthetic = new Option<string>("--synthetic")
        {
            Description = "Synthetic model PRESET[:TYPE] (134m or 836m; F16, Q8_0, Q4_0, Q4_K, Q6_K), written once to $SPECULA_BENCH_CACHE (default ~/.cache/specula/bench)",
        };
        var type = new Option<string>("--type") { Description = "Weight type of the synthetic model (default Q4_0)" };
        var prompt = new Option<int>("--prompt-tokens", "-p") { Description = "Prompt tokens, prefilled in one batch", DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("--gen-tokens", "-n") { Description = "Tokens generated one at a time", DefaultValueFactory = _ => 64 };
        var threads = ThreadsOption.Create();
        var reps = new Option<int>("--reps", "-r") { Description = "Timed repetitions (median reported)", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var kvType = KvTypeOption.Create();

        var command = new Command("bench", "Measure prefill and decode speed on a model or a synthetic model.")
        {
            model, synthetic, type, prompt, gen, threads, reps, kvType, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string? modelPath = parse.GetValue(model);
            string? preset = parse.GetValue(synthetic);
            string? typeText = parse.GetValue(type);
            if ((modelPath == null) == (preset == null)) throw new CliException("give exactly one of -m MODEL or --synthetic PRESET[:TYPE]");
            var kvCacheType = KvTypeOption.Parse(parse.GetValue(kvType));
            int threadCount = ThreadsOption.Validate(parse.GetValue(threads));

            if (preset != null)
            {
                var (p, t) = BenchPreset.Parse(preset, typeText == null ? null : BenchPreset.ParseType(typeText));
                modelPath = p.EnsureFile(t, BenchPreset.DefaultCacheDirectory, parse.GetValue(json) ? TextWriter.Null : output);
            }
            else if (typeText != null) throw new CliException("--type applies to --synthetic models only");
            if (!File.Exists(modelPath)) throw new CliException($"model file not found: {modelPath}");

            var result = SpeculaBenchmark.Run(modelPath!, threadCount, parse.GetValue(prompt), parse.GetValue(gen), parse.GetValue(reps), kvCacheType);
            if (parse.GetValue(json)) output.WriteLine(ToJson(result));
            else WriteTable(result, output);
            return 0;
        });
        return command;
    }

    public static string ToJson(BenchResult r) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = r.Model,
        ["threads"] = r.Threads,
        ["kv_type"] = KvTypeOption.Name(r.KvCacheType),
        ["prompt_tokens"] = r.PromptTokens,
        ["gen_tokens"] = r.GenTokens,
        ["reps"] = r.Repetitions,
        ["prefill_tok_s"] = Math.Round(r.PrefillTokensPerSecond, 2),
        ["decode_tok_s"] = Math.Round(r.DecodeTokensPerSecond, 2),
        ["prefill_runs_tok_s"] = r.PrefillRuns.Select(v => Math.Round(v, 2)).ToArray(),
        ["decode_runs_tok_s"] = r.DecodeRuns.Select(v => Math.Round(v, 2)).ToArray(),
        ["bandwidth_gb_s"] = Math.Round(r.BandwidthBytesPerSecond / 1e9, 2),
        ["bytes_per_token"] = r.BytesPerDecodedToken,
        ["decode_bound_tok_s"] = Math.Round(r.DecodeBoundTokensPerSecond, 2),
        ["decode_pct_of_bound"] = Math.Round(r.DecodePercentOfBound, 1),
        ["load_s"] = Math.Round(r.LoadSeconds, 3),
        ["resident_mb"] = Math.Round(r.ResidentBytes / 1e6, 1),
        ["file_mb"] = Math.Round(r.FileBytes / 1e6, 1),
        ["vector_width"] = KernelOptions.EffectiveVectorWidth,
    });

    static void WriteTable(BenchResult r, TextWriter o)
    {
        var c = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(c, $"model      {r.Model} ({r.FileBytes / 1e6:F0} MB, loaded in {r.LoadSeconds:F2} s, resident {r.ResidentBytes / 1e6:F0} MB)"));
        o.WriteLine(string.Create(c, $"threads    {r.Threads}   vector width {KernelOptions.EffectiveVectorWidth} bits   KV cache {KvTypeOption.Name(r.KvCacheType)}   reps {r.Repetitions} (median)"));
        o.WriteLine(string.Create(c, $"prefill    {r.PrefillTokensPerSecond,9:F1} tok/s   ({r.PromptTokens} tokens in one batch)"));
        o.WriteLine(string.Create(c, $"decode     {r.DecodeTokensPerSecond,9:F1} tok/s   ({r.GenTokens} tokens, {r.DecodePercentOfBound:F0}% of the bandwidth bound {r.DecodeBoundTokensPerSecond:F1} tok/s)"));
        o.WriteLine(string.Create(c, $"bandwidth  {r.BandwidthBytesPerSecond / 1e9,9:F1} GB/s read   ({r.BytesPerDecodedToken / 1e6:F0} MB streamed per decoded token)"));
    }
}
