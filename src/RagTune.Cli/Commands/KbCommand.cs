// `ragtune kb`: build and query a knowledge base directory (create, add, remove, search, stats, export).
using System.CommandLine;
using RagTune.Cli.Commands.Kb;

namespace RagTune.Cli.Commands;

public static class KbCommand
{
    public static Command Create() => new("kb", "Knowledge base: a directory of chunked documents with BM25 (Chinese-aware) and dense indexes")
    {
        KbCreate.Create(),
        KbAdd.Create(),
        KbRemove.Create(),
        KbSearch.Create(),
        KbStats.Create(),
        KbExport.Create(),
    };
}
