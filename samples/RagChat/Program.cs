// Quick start: RAG over a knowledge base as a Microsoft.Extensions.AI IChatClient. RagChatClient retrieves passages for
// the question, builds the prompt the model was trained on, lets the inner client (here a local model) answer, and
// attaches the passages and citations to the response as structured content (RagContent).
// MODEL_DIR is a Hugging Face decoder checkpoint folder, e.g. one fine-tuned on RAFT data.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Knowledge.Rag;
using RagTune.Knowledge.Store;

string modelDir = Environment.GetEnvironmentVariable("MODEL_DIR")
    ?? throw new InvalidOperationException("Set MODEL_DIR to a model folder (config.json, *.safetensors, tokenizer).");
string kbDir = Path.Combine(Path.GetTempPath(), $"ragtune-sample-rag-{Guid.NewGuid():N}");
try
{
    // A knowledge base made earlier (here: now; `ragtune kb create` + `ragtune kb add` make the same directory).
    await using (var created = await KnowledgeBase.CreateAsync(kbDir))
        await created.AddFolderAsync(Path.Combine(AppContext.BaseDirectory, "docs"));

    // OpenAsync reads kb.json and wires what the base was created with (its embedding model, if any).
    await using var kb = await KnowledgeBase.OpenAsync(kbDir);

    // The local model, wrapped in RAG: the prompt is the one recorded beside the model (rag_format.json, written by
    // the RAFT export and carried along by training), or the default RAFT prompt.
    var services = new ServiceCollection();
    services.AddLocalChatClient(modelDir)
        .Use(inner => new RagChatClient(inner, new KnowledgeBaseRetriever(kb), new RagChatClientOptions
        {
            Format = RagPromptFormat.LoadBeside(modelDir),
            TopK = 2,
            FallbackCitations = 1,
        }));
    await using var provider = services.BuildServiceProvider();
    var chat = provider.GetRequiredService<IChatClient>();

    var response = await chat.GetResponseAsync("Where do the cooling pumps stand?", new ChatOptions { MaxOutputTokens = 16 });
    Console.WriteLine($"answer: {response.Text}");
    Console.WriteLine($"answer tokens: {response.Usage?.OutputTokenCount}");

    // The passages that were in the prompt, and what the answer cites: the spans it quoted, else the top passages.
    var rag = RagContent.From(response) ?? throw new InvalidOperationException("the response carries no RagContent");
    foreach (var passage in rag.Passages)
        Console.WriteLine($"passage [{passage.Index}] {passage.Source}: {string.Join(' ', passage.Text.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Take(6))} …");
    foreach (var citation in rag.Citations ?? [])
        Console.WriteLine($"citation [{citation.Index}] {citation.Kind}: {citation.Document}");

    // Streaming: the first update carries the passages (before any text), the last one the citations.
    var updates = new List<ChatResponseUpdate>();
    await foreach (var update in chat.GetStreamingResponseAsync("Where do the cooling pumps stand?", new ChatOptions { MaxOutputTokens = 16 }))
        updates.Add(update);
    var first = updates[0].Contents.OfType<RagContent>().Single();
    var last = updates[^1].Contents.OfType<RagContent>().Single();
    Console.WriteLine($"streamed: {first.Passages.Count} passages first, {last.Citations?.Count} citation(s) last, same text: {string.Concat(updates.Select(u => u.Text)) == response.Text}");
}
finally
{
    if (Directory.Exists(kbDir)) Directory.Delete(kbDir, recursive: true);
}
