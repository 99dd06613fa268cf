using System.CommandLine;
using System.Text;
using System.Text.Json;
using Specula.Gguf;
using Specula.Hub;
using Specula.Templates;

namespace Specula.Cli.Commands;

/// <summary>
/// <c>specula template (-m MODEL | --template FILE.jinja) --messages FILE.json [--add-generation-prompt]
/// [--var NAME=JSON]...</c>: renders a chat template and prints the prompt exactly (UTF-8, no newline added).
/// With -m the template and the bos/eos token texts come from the GGUF metadata, as llama.cpp sets them.
/// </summary>
public static class TemplateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "GGUF file, or hub model OWNER/REPO[:QUANT], whose chat template to use" };
        var templateFile = new Option<string>("--template") { Description = "Jinja chat template file to use instead of a model's" };
        var variant = new Option<string>("--variant")
        {
            Description = "Named chat template of the model (GGUF key tokenizer.chat_template.NAME, e.g. tool_use)",
        };
        var messagesFile = new Option<string>("--messages")
        {
            Description = "JSON file: an OpenAI-style messages array, or an object with \"messages\" and optional \"tools\"",
            Required = true,
        };
        var addGenerationPrompt = new Option<bool>("--add-generation-prompt") { Description = "End with the start of an assistant turn" };
        var variables = new Option<string[]>("--var")
        {
            Description = "Template variable NAME=JSON, e.g. --var enable_thinking=false or --var bos_token='\"<s>\"' (repeatable)",
            AllowMultipleArgumentsPerToken = false,
        };
        var now = new Option<string>("--now") { Description = "Time strftime_now sees (ISO 8601, e.g. 2024-07-26T12:00:00Z); default: the clock" };

        var command = new Command("template", "Render a chat template for a conversation and print the prompt.")
        {
            model, templateFile, variant, messagesFile, addGenerationPrompt, variables, now,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var modelArg = parse.GetValue(model);
            var templatePath = parse.GetValue(templateFile);
            if ((modelArg == null) == (templatePath == null))
                throw new CliException("give exactly one of -m MODEL or --template FILE.jinja");

            var context = ReadConversation(parse.GetValue(messagesFile)!);
            context.AddGenerationPrompt = parse.GetValue(addGenerationPrompt);
            if (parse.GetValue(now) is { } time) context.Clock = ParseTime(time);

            string source;
            if (templatePath != null)
            {
                if (parse.GetValue(variant) != null) throw new CliException("--variant selects a model's named template; it needs -m MODEL");
                source = File.ReadAllText(templatePath);
            }
            else
            {
                var path = await ModelReference.ResolveAsync(modelArg!, cancellationToken: cancellationToken);
                source = ReadModelTemplate(path, parse.GetValue(variant), context);
            }
            foreach (var assignment in parse.GetValue(variables) ?? []) SetVariable(context, assignment);

            string prompt;
            try
            {
                prompt = ChatTemplate.Parse(source).Render(context);
            }
            catch (TemplateException ex)
            {
                throw new CliException(ex.Message);
            }
            WriteRaw(parse.InvocationConfiguration.Output, prompt);
            return 0;
        });
        return command;
    }

    /// <summary>The messages file: a messages array, or an object with "messages" and maybe "tools" (a JSON
    /// null there reaches the template as None; no "tools" key leaves it undefined).</summary>
    static TemplateContext ReadConversation(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new CliException($"{path} is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            var context = new TemplateContext();
            if (root.ValueKind == JsonValueKind.Array)
            {
                context.Messages = TemplateValue.FromJson(root);
                return context;
            }
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages)
                || messages.ValueKind != JsonValueKind.Array)
                throw new CliException($"{path} must hold a messages array, or an object with a \"messages\" array");
            context.Messages = TemplateValue.FromJson(messages);
            if (root.TryGetProperty("tools", out var tools)) context.Tools = TemplateValue.FromJson(tools);
            return context;
        }
    }

    /// <summary>The model's chat template, and its bos/eos token texts as template variables.</summary>
    static string ReadModelTemplate(string path, string? variant, TemplateContext context)
    {
        using var gguf = GgufReader.Open(path);
        var source = ChatTemplateMetadata.Find(gguf.Metadata, variant);
        if (source == null)
        {
            var names = ChatTemplateMetadata.VariantNames(gguf.Metadata);
            throw new CliException(variant == null
                ? $"{path} has no chat template ({ChatTemplateMetadata.DefaultKey}); pass one with --template FILE.jinja"
                : $"{path} has no chat template named '{variant}'" +
                  (names.Count > 0 ? $" (it has: {string.Join(", ", names)})" : " (it has no named templates)"));
        }
        context.BosToken = ChatTemplateMetadata.SpecialTokenText(gguf.Metadata, "bos");
        context.EosToken = ChatTemplateMetadata.SpecialTokenText(gguf.Metadata, "eos");
        return source;
    }

    static void SetVariable(TemplateContext context, string assignment)
    {
        int equals = assignment.IndexOf('=');
        if (equals <= 0) throw new CliException($"--var '{assignment}': expected NAME=JSON");
        var name = assignment[..equals];
        var json = assignment[(equals + 1)..];
        TemplateValue value;
        try
        {
            value = TemplateValue.ParseJson(json);
        }
        catch (JsonException)
        {
            throw new CliException($"--var {name}: '{json}' is not JSON (strings need quotes: --var {name}='\"text\"')");
        }
        context.Variables[name] = value; // overrides bos_token etc. read from the model
    }

    static Func<DateTimeOffset> ParseTime(string text)
    {
        if (!DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
            throw new CliException($"--now '{text}' is not a date and time (use ISO 8601, e.g. 2024-07-26T12:00:00Z)");
        return () => time;
    }

    /// <summary>Writes the prompt byte-exact: to the console as raw UTF-8 (no console encoding, no BOM, no
    /// newline); to any other writer (tests) as text.</summary>
    static void WriteRaw(TextWriter output, string prompt)
    {
        if (!ReferenceEquals(output, Console.Out))
        {
            output.Write(prompt);
            return;
        }
        Console.Out.Flush();
        using var stdout = Console.OpenStandardOutput();
        stdout.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(prompt));
        stdout.Flush();
    }
}
