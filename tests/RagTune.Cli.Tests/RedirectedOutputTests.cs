// Output sent to a file or pipe is plain text: no ANSI escape codes even when TERM says the terminal could show colours,
// and long lines and tables are not wrapped at 80 columns; NO_COLOR turns colours off on a terminal too.
using System.Text;
using RagTune.Engine.Tests.Tensors;
using Spectre.Console;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class RedirectedOutputTests
{
    // What a colour terminal's environment says; the child's stdout is nevertheless a pipe.
    private static readonly Dictionary<string, string?> ColourTerminal = new()
    {
        ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor", ["NO_COLOR"] = null,
    };

    [Fact]
    public async Task Commands_writing_to_a_pipe_print_no_escape_codes_and_do_not_wrap_at_80_columns()
    {
        var ct = TestContext.Current.CancellationToken;
        using var temp = new TempDirectory();
        string docs = Path.Combine(temp.Path, "docs"), kb = Path.Combine(temp.Path, "kb");
        Directory.CreateDirectory(docs);
        for (int i = 1; i <= 3; i++)
            File.WriteAllText(Path.Combine(docs, $"pump{i}.md"), $"# Pump {i}\n\nThe red pump number {i} runs at 12 bar and its valve opens at 4 bar.\n");

        string estimate = await RunAsync(ct, "raft", "estimate", "--docs", docs, "--model", "gpt-4o-mini");
        // The note under the estimate is one 125-character line: it was cut at 80 columns (and coloured grey) before.
        Assert.Contains("(1 per CJK character, 1 per 4 other characters); retries of rejected answers add calls.", estimate);
        Assert.Contains("teacher calls", estimate);

        await RunAsync(ct, "kb", "create", kb);
        await RunAsync(ct, "kb", "add", kb, docs);
        string search = await RunAsync(ct, "kb", "search", kb, "red pump");
        Assert.Contains("number 1 runs at 12 bar and its valve opens at 4 bar.", search);
        await RunAsync(ct, "kb", "stats", kb);
    }

    [Fact]
    public void No_color_keeps_colours_off_a_terminal()
    {
        var saved = ColourTerminal.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (name, value) in ColourTerminal) Environment.SetEnvironmentVariable(name, value);
        try
        {
            // The control: a terminal console without NO_COLOR does colour the same markup.
            Assert.Contains("\u001b[", Write(noColor: false));
            string plain = Write(noColor: true);
            Assert.Contains("pump", plain);
            Assert.DoesNotContain("\u001b[3", plain);
            Assert.DoesNotContain("\u001b[9", plain);
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    private static string Write(bool noColor)
    {
        var writer = new StringWriter();
        var console = CliConsole.Create(writer, redirected: false, noColor);
        console.MarkupLine("[red]pump[/] [grey]valve[/]");
        return writer.ToString();
    }

    /// <summary>Runs the built ragtune in a child whose stdout is a pipe; returns stdout after checking the exit code and
    /// that neither stream holds an ESC byte.</summary>
    private static async Task<string> RunAsync(CancellationToken ct, params string[] args)
    {
        using var child = ChildCli.Start(ColourTerminal, args);
        int exit = await child.WaitForExitAsync(TimeSpan.FromSeconds(120), ct);
        Assert.True(exit == 0, $"ragtune {string.Join(' ', args)} exited with {exit}:\n{child.Output}");
        Assert.False(child.Output.Contains('\u001b'), $"ragtune {string.Join(' ', args)} wrote an escape code:\n{Visible(child.Output)}");
        return child.Stdout;
    }

    private static string Visible(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s) sb.Append(c == '\u001b' ? "\\e" : c.ToString());
        return sb.ToString();
    }
}
