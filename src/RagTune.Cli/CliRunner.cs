// Runs the parsed command line and turns any exception into one clear line on stderr and a non-zero exit code.
using System.CommandLine;
using RagTune.Knowledge.Postgres;

namespace RagTune.Cli;

public static class CliRunner
{
    public static async Task<int> RunAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        // The store kinds a knowledge-base directory may link to (store.json), beside the embedded default.
        PostgresStoreLink.Register();
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            return await root.Parse(args).InvokeAsync(config).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("ragtune: cancelled");
            return 130;
        }
        catch (Exception ex)
        {
            // One line: the message already names the file/field and what was expected.
            error.WriteLine($"ragtune: error: {ex.Message}");
            if (Environment.GetEnvironmentVariable("RAGTUNE_DEBUG") == "1")
                error.WriteLine(ex);
            return 1;
        }
    }
}
