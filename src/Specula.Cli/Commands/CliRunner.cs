using System.CommandLine;

namespace Specula.Cli.Commands;

/// <summary>Runs the parsed command and turns expected failures into one clear line on stderr and a
/// non-zero exit code, never a stack trace.</summary>
static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            var parse = root.Parse(args);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (ex is CliException or IOException or UnauthorizedAccessException or InvalidDataException
                                       or FormatException or ArgumentException or InvalidOperationException or NotSupportedException
                                       or System.Net.Http.HttpRequestException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}

/// <summary>An error the user caused and can fix; its message is printed as is.</summary>
public sealed class CliException(string message) : Exception(message);
