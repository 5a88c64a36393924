// `ragtune kb remove DIR DOC_ID`: removes one document (an id as `kb search` and `kb export` show it) from every index.
using System.CommandLine;
using RagTune.Knowledge;
using RagTune.Knowledge.Store;

namespace RagTune.Cli.Commands.Kb;

internal static class KbRemove
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var id = new Argument<string>("doc-id") { Description = "Document id: the path relative to the added folder (\"docs/a.md\", \"data.jsonl#3\")" };
        var command = new Command("remove", "Remove a document and its chunks") { dir, id };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string documentId = parse.GetValue(id)!;
            await using var kb = await KnowledgeBase.OpenAsync(parse.GetValue(dir)!, cancellationToken: cancellationToken);
            if (!await kb.RemoveAsync(documentId, cancellationToken))
                throw new KnowledgeException($"document '{documentId}' is not in the knowledge base; expected an id as 'ragtune kb search' or 'kb export' shows it");
            Console.Out.WriteLine($"removed {documentId}");
            return 0;
        });
        return command;
    }
}
