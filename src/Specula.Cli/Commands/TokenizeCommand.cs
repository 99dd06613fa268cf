using System.CommandLine;
using Specula.Gguf;
using Specula.Tokenization;

namespace Specula.Cli.Commands;

/// <summary><c>specula tokenize -m MODEL --text T [--no-bos] [--special]</c>: prints the token ids of the text,
/// comma-separated on one line, as llama.cpp's tokenizer gives them for that model.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file, or hub model OWNER/REPO[:QUANT]", Required = true };
        var text = new Option<string>("--text", "-t") { Description = "The text to tokenize.", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not add the special tokens the model adds (BOS/EOS)." };
        var special = new Option<bool>("--special") { Description = "Turn text that spells a control token (e.g. <|im_start|>) into that token." };

        var command = new Command("tokenize", "Print the token ids of a text for a model's tokenizer.") { model, text, noBos, special };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            if (Hub.ModelReference.IsHubReference(path) && !File.Exists(path)) path = Hub.ModelReference.ResolveAsync(path).GetAwaiter().GetResult();
            if (!File.Exists(path)) throw new CliException($"model file not found: {path}");
            using var gguf = GgufReader.Open(path);
            var tokenizer = Tokenizer.FromGguf(gguf);
            int[] ids = tokenizer.Encode(parse.GetValue(text)!, addSpecial: !parse.GetValue(noBos), parseSpecial: parse.GetValue(special));
            parse.InvocationConfiguration.Output.WriteLine(string.Join(",", ids));
            return 0;
        });
        return command;
    }
}
