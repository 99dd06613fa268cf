using System.CommandLine;

namespace Specula.Cli.Commands;

/// <summary>Every subcommand of <c>specula</c>, one line each.</summary>
static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return PullCommand.Create();
        yield return ListCommand.Create();
        yield return RmCommand.Create();
        yield return TemplateCommand.Create();
        yield return InspectCommand.Create();
        yield return LogitsCommand.Create();
        yield return TokenizeCommand.Create();
        yield return BenchCommand.Create();
        yield return RunCommand.Create();
        yield return ChatCommand.Create();
    }
}
