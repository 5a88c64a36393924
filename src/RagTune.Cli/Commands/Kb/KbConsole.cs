// Shared by the kb subcommands: consoles for results (stdout) and progress (stderr), and the common arguments.
using System.CommandLine;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbConsole
{
    public static Argument<string> DirectoryArgument() => new("dir") { Description = "Knowledge base directory" };

    /// <summary>Results go to stdout (see <see cref="CliConsole"/> for terminals, files and NO_COLOR).</summary>
    public static IAnsiConsole Results() => CliConsole.Out();

    /// <summary>Progress goes to stderr so that stdout stays clean for results.</summary>
    public static IAnsiConsole Progress() => CliConsole.Error();

    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
