// The consoles the CLI writes through: coloured and sized to the terminal on a terminal; plain text (no ANSI escape codes)
// and never wrapped when the stream goes to a file or a pipe; no colours when NO_COLOR is set (https://no-color.org).
using Spectre.Console;

namespace RagTune.Cli;

public static class CliConsole
{
    /// <summary>Columns of a redirected stream: wide enough that no table or line of ours is ever wrapped in a file or log
    /// (Spectre would otherwise assume 80).</summary>
    public const int RedirectedWidth = 4096;

    /// <summary>Results: stdout.</summary>
    public static IAnsiConsole Out() => Create(Console.Out, Console.IsOutputRedirected, NoColorRequested());

    /// <summary>Progress and diagnostics: stderr, so that stdout stays clean for results.</summary>
    public static IAnsiConsole Error() => Create(Console.Error, Console.IsErrorRedirected, NoColorRequested());

    /// <param name="redirected">The stream is a file or pipe: no escape codes, no live redrawing, a wide fixed width.</param>
    /// <param name="noColor">Keep styles such as bold on a terminal but leave colours out.</param>
    public static IAnsiConsole Create(TextWriter writer, bool redirected, bool noColor)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected || noColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }

    /// <summary>NO_COLOR present and not empty, as no-color.org defines it.</summary>
    public static bool NoColorRequested() => Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
}
