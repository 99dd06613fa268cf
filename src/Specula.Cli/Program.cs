using System.CommandLine;
using Specula.Cli.Commands;

// The CLI is thin: each command lives in Commands/ and only parses arguments and calls Specula.Core.
var root = new RootCommand("Specula: run large language models locally, fast.");
foreach (var command in CommandRegistry.All())
    root.Subcommands.Add(command);
return await CliRunner.InvokeAsync(root, args);
