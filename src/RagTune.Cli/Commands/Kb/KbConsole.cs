// Shared by the kb subcommands: consoles for results (stdout) and progress (stderr), and the common arguments.
using System.CommandLine;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Summaries;
using RagTune.Raft.Clients;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbConsole
{
    public static Argument<string> DirectoryArgument() => new("dir") { Description = "Knowledge base directory" };

    /// <summary>Results go to stdout (see <see cref="CliConsole"/> for terminals, files and NO_COLOR).</summary>
    public static IAnsiConsole Results() => CliConsole.Out();

    /// <summary>Progress goes to stderr so that stdout stays clean for results.</summary>
    public static IAnsiConsole Progress() => CliConsole.Error();

    /// <summary>A document route kind as the CLI spells it (--doc-route).</summary>
    public static string Name(DocumentRouteKind kind) => kind switch
    {
        DocumentRouteKind.FirstChunk => "first-chunk",
        DocumentRouteKind.Summary => "summary",
        _ => "mean",
    };

    /// <summary>Opens a knowledge base for adding documents: with a summary route, the teacher kb.json records writes the
    /// summaries (an OpenAI-compatible chat client with retries), journalled in DIR/summaries.jsonl so that a killed
    /// `kb add` resumes without asking again.</summary>
    public static async Task<KnowledgeBase> OpenForWritingAsync(string directory, CancellationToken cancellationToken)
    {
        var store = await KnowledgeBase.OpenStoreAsync(directory, cancellationToken);
        IChatClient? teacher = null;
        if (store.Options.DocumentRoute is { Kind: DocumentRouteKind.Summary } route)
        {
            if (route.SummaryModel is null)
            {
                await store.DisposeAsync();
                throw new Knowledge.KnowledgeException($"{Path.Combine(directory, FileSystemKnowledgeStore.OptionsFileName)}: document_route.kind is summary but document_route.summary_model is not set; expected the teacher model's name (kb create --summary-model NAME)");
            }
            teacher = new ChatClientBuilder(OpenAICompatibleChatClient.Create(route.SummaryModel,
                    route.SummaryEndpoint is null ? null : new Uri(route.SummaryEndpoint), Environment.GetEnvironmentVariable(route.SummaryApiKeyEnvironmentVariable)))
                .UseResilience().Build();
        }
        return new KnowledgeBase(store, new KnowledgeBaseOpenOptions
        {
            Summarizer = teacher is null ? null : new ChatClientDocumentSummarizer(teacher),
            SummaryJournalPath = DocumentSummaryJournal.In(directory),
        });
    }

    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };
}
