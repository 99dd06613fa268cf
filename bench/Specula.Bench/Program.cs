using System.Globalization;
using System.Text.Json;
using Specula.Bench;
using Specula.Cli.Commands;
using Specula.Kernels;

// specula-bench (-m MODEL | --synthetic PRESET[:TYPE]) [-p 128] [-n 64] [--threads N] [--reps R] [--kv-type f32|f16] [--json]
// Runs Specula and llama.cpp on the same GGUF, same threads and same prompt ids, alternating A/B runs after
// one warm-up each, and prints both medians and the ratio Specula / llama.cpp. --kv-type sets Specula's KV cache;
// llama.cpp keeps its default (f16).
var options = Arguments.Parse(args);
string path = options.Model ?? BenchPreset.Parse(options.Synthetic!, null).Let(
    pt => pt.Preset.EnsureFile(pt.Type, BenchPreset.DefaultCacheDirectory, options.Json ? TextWriter.Null : Console.Out));

using var specula = new SpeculaEngine(path, options.Threads, options.PromptTokens, options.GenTokens, options.KvType);
// The machine's read bandwidth moves with its neighbours' load: measured before and after every A/B pair, the
// best is the bound.
using var bandwidthProbe = new MemoryBandwidth.Probe(ComputePool.Shared);
bandwidthProbe.Measure();
using var llama = new LlamaCppEngine(path, options.Threads, options.PromptTokens, options.GenTokens);
var prompt = SpeculaBenchmark.PromptIds(options.PromptTokens, specula.VocabularySize);

specula.RunOnce(prompt, options.GenTokens);
llama.RunOnce(prompt, options.GenTokens);
var runs = new List<(double SP, double SD, double LP, double LD)>();
for (int rep = 0; rep < options.Repetitions; rep++)
{
    var (sp, sd) = specula.RunOnce(prompt, options.GenTokens);
    var (lp, ld) = llama.RunOnce(prompt, options.GenTokens);
    runs.Add((sp, sd, lp, ld));
    bandwidthProbe.Measure(passes: 2);
}
double bandwidth = bandwidthProbe.Best;

double Med(Func<(double SP, double SD, double LP, double LD), double> pick) => SpeculaBenchmark.Median(runs.Select(pick).ToList());
double sPrefill = Med(r => r.SP), sDecode = Med(r => r.SD), lPrefill = Med(r => r.LP), lDecode = Med(r => r.LD);
double bound = bandwidth / specula.BytesPerDecodedToken;
string model = Path.GetFileNameWithoutExtension(path);
if (options.Json)
{
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["model"] = model, ["threads"] = options.Threads, ["prompt_tokens"] = options.PromptTokens,
        ["gen_tokens"] = options.GenTokens, ["reps"] = options.Repetitions, ["specula_kv_type"] = KvTypeOption.Name(options.KvType),
        ["specula_prefill_tok_s"] = Math.Round(sPrefill, 2), ["specula_decode_tok_s"] = Math.Round(sDecode, 2),
        ["llamacpp_prefill_tok_s"] = Math.Round(lPrefill, 2), ["llamacpp_decode_tok_s"] = Math.Round(lDecode, 2),
        ["prefill_ratio"] = Math.Round(sPrefill / lPrefill, 3), ["decode_ratio"] = Math.Round(sDecode / lDecode, 3),
        ["bandwidth_gb_s"] = Math.Round(bandwidth / 1e9, 2), ["decode_pct_of_bound"] = Math.Round(100 * sDecode / bound, 1),
        ["specula_load_s"] = Math.Round(specula.LoadSeconds, 3), ["llamacpp_load_s"] = Math.Round(llama.LoadSeconds, 3),
    }));
}
else
{
    var c = CultureInfo.InvariantCulture;
    Console.WriteLine(string.Create(c, $"{model}: {options.Threads} threads, prompt {options.PromptTokens}, generate {options.GenTokens}, Specula KV cache {KvTypeOption.Name(options.KvType)}, {options.Repetitions} alternating runs (medians)"));
    Console.WriteLine(string.Create(c, $"            {"Specula",10} {"llama.cpp",10} {"ratio",7}"));
    Console.WriteLine(string.Create(c, $"prefill     {sPrefill,10:F1} {lPrefill,10:F1} {sPrefill / lPrefill,7:F2}   tok/s"));
    Console.WriteLine(string.Create(c, $"decode      {sDecode,10:F1} {lDecode,10:F1} {sDecode / lDecode,7:F2}   tok/s"));
    Console.WriteLine(string.Create(c, $"bandwidth   {bandwidth / 1e9:F1} GB/s; Specula decode at {100 * sDecode / bound:F0}% of the bound {bound:F1} tok/s, llama.cpp at {100 * lDecode / bound:F0}%"));
    Console.WriteLine(string.Create(c, $"load        Specula {specula.LoadSeconds:F2} s, llama.cpp {llama.LoadSeconds:F2} s"));
}

static class Functional
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> f) => f(value);
}

sealed record Arguments(string? Model, string? Synthetic, int PromptTokens, int GenTokens, int Threads, int Repetitions, bool Json,
    Specula.Runtime.KvCacheType KvType)
{
    public static Arguments Parse(string[] args)
    {
        string? model = null, synthetic = null;
        int p = 128, n = 64, threads = Environment.ProcessorCount, reps = 5;
        bool json = false;
        var kvType = Specula.Runtime.KvCacheType.F32;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.TryParse(Next(), out int v) && v > 0 ? v : throw new ArgumentException($"{args[i - 1]} needs a positive integer");
            switch (args[i])
            {
                case "-m" or "--model": model = Next(); break;
                case "--synthetic": synthetic = Next(); break;
                case "-p" or "--prompt-tokens": p = NextInt(); break;
                case "-n" or "--gen-tokens": n = NextInt(); break;
                case "-t" or "--threads": threads = NextInt(); break;
                case "-r" or "--reps": reps = NextInt(); break;
                case "--json": json = true; break;
                case "--kv-type": kvType = KvTypeOption.Parse(Next()); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'");
            }
        }
        if ((model == null) == (synthetic == null)) throw new ArgumentException("give exactly one of -m MODEL or --synthetic PRESET[:TYPE]");
        return new Arguments(model, synthetic, p, n, threads, reps, json, kvType);
    }
}
