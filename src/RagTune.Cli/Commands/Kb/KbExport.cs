// `ragtune kb export DIR OUT.jsonl`: every chunk with its metadata, one JSON object per line (RAFT generation reads this).
using System.CommandLine;
using RagTune.Knowledge.Store;

namespace RagTune.Cli.Commands.Kb;

internal static class KbExport
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var output = new Argument<string>("out") { Description = "Output JSONL file" };
        var command = new Command("export", "Export all chunks (every level) as JSONL") { dir, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var kb = await KnowledgeBase.OpenAsync(parse.GetValue(dir)!, cancellationToken: cancellationToken);
            string path = Path.GetFullPath(parse.GetValue(output)!);
            int count = await kb.ExportAsync(path, cancellationToken);
            Console.Out.WriteLine($"exported {count} chunks to {path}");
            return 0;
        });
        return command;
    }
}
