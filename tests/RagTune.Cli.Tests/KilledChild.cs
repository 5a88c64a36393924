// Runs `ragtune` as a child process and kills it with SIGKILL once its stderr shows a given line: the crash that
// --resume must survive (no finally blocks, no flushes, no disposal).
using System.Diagnostics;

namespace RagTune.Cli.Tests;

internal static class KilledChild
{
    /// <summary>Starts the built ragtune.dll with <paramref name="args"/>, waits for a stderr line starting with
    /// <paramref name="linePrefix"/>, kills the process and waits for it to exit. Returns the line (null if it never came).</summary>
    public static async Task<string?> RunUntilAsync(string[] args, string linePrefix, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ragtune.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        string? line;
        while ((line = await child.StandardError.ReadLineAsync(cancellationToken)) is not null && !line.StartsWith(linePrefix, StringComparison.Ordinal))
        {
        }
        child.Kill();
        await child.WaitForExitAsync(cancellationToken);
        return line;
    }
}
