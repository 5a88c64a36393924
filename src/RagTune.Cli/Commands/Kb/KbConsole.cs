// Shared by the kb subcommands: consoles for results (stdout) and progress (stderr), and the common arguments.
using System.CommandLine;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbConsole
{
    public static Argument<string> DirectoryArgument() => new("dir") { Description = "Knowledge base directory" };

    /// <summary>Results go to stdout; when it is not a terminal (pipes, logs, tests) tables get a wide fixed width
    /// instead of being squeezed to 80 columns.</summary>
    public static IAnsiConsole Results()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = InteractionSupport.No,
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (Console.IsOutputRedirected) console.Profile.Width = 160;
        return console;
    }

    /// <summary>Progress goes to stderr so that stdout stays clean for results.</summary>
    public static IAnsiConsole Progress() => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Interactive = Console.IsErrorRedirected ? InteractionSupport.No : InteractionSupport.Detect,
    });

    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
