// `ragtune kb stats DIR`: documents, chunks per level, index sizes, disk use and the settings that shape them.
using System.CommandLine;
using RagTune.Knowledge.Store;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbStats
{
    public static Command Create()
    {
        var dir = KbConsole.DirectoryArgument();
        var command = new Command("stats", "Show the size of a knowledge base") { dir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(dir)!;
            await using var kb = await KnowledgeBase.OpenAsync(path, cancellationToken: cancellationToken);
            var stats = await kb.GetStatsAsync(cancellationToken);
            var o = kb.Options;
            var table = new Table().Title(Markup.Escape(Path.GetFullPath(path))).AddColumn("").AddColumn(new TableColumn("value").RightAligned());
            table.AddRow("files", stats.Files.ToString());
            if (stats.FilesWithoutDocuments > 0) table.AddRow("files without documents", stats.FilesWithoutDocuments.ToString());
            table.AddRow("documents", stats.Documents.ToString());
            var indexed = o.ResolvedIndexedLevels.ToHashSet();
            for (int level = 0; level < stats.ChunksPerLevel.Count; level++)
                table.AddRow($"chunks level {level} (≤{o.Chunking.Levels[level]} tokens{(indexed.Contains(level) ? ", indexed" : "")})", stats.ChunksPerLevel[level].ToString());
            table.AddRow($"bm25 chunks / terms ({o.Lexical.Analyzer.ChineseMode.ToString().ToLowerInvariant()})", $"{stats.LexicalDocuments} / {stats.LexicalTerms}");
            table.AddRow($"vectors ({o.Embedding.Kind.ToString().ToLowerInvariant()}, {o.VectorIndex.Kind.ToString().ToLowerInvariant()})",
                stats.Vectors == 0 ? "0" : $"{stats.Vectors} × {stats.VectorDimensions}");
            if (o.DocumentRoute is { } route)
                table.AddRow($"document route ({KbConsole.Name(route.Kind)}) documents / vectors", $"{stats.RoutedDocuments} / {stats.RoutedDocumentVectors}");
            table.AddRow("disk", KbConsole.FormatBytes(stats.DiskBytes));
            table.AddRow("generation", stats.Generation.ToString());
            KbConsole.Results().Write(table);
            return 0;
        });
        return command;
    }
}
