// Quick start: routed RAG as one IChatClient pipeline. Arithmetic goes straight to a local model; every other question
// goes to RAG, whose retriever routes between two knowledge bases (HR and IT): keyword rules first, then the model picks
// for what no rule decides, else HR. MODEL_DIR is a Hugging Face decoder checkpoint folder.
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;
using RagTune.Knowledge.Rag;
using RagTune.Knowledge.Routing;
using RagTune.Knowledge.Store;

string modelDir = Environment.GetEnvironmentVariable("MODEL_DIR")
    ?? throw new InvalidOperationException("Set MODEL_DIR to a model folder (config.json, *.safetensors, tokenizer).");
string docs = Path.Combine(AppContext.BaseDirectory, "docs");

// Two knowledge bases, in memory here (KnowledgeBase.CreateAsync(directory) keeps one on disk).
await using var hr = new KnowledgeBase(new InMemoryKnowledgeStore());
await using var it = new KnowledgeBase(new InMemoryKnowledgeStore());
await hr.AddFolderAsync(Path.Combine(docs, "hr"));
await it.AddFolderAsync(Path.Combine(docs, "it"));

using var model = LocalChatClient.Load(modelDir);

// Which knowledge base a question is searched in: rules, then the model (asked to name one of the routes), then "hr".
var retriever = new RoutedRetriever(
    [
        new RetrievalRoute("hr", new KnowledgeBaseRetriever(hr), "annual leave, salaries and benefits"),
        new RetrievalRoute("it", new KnowledgeBaseRetriever(it), "VPN, passwords and laptops"),
    ],
    new IntentRouterChain(
        new RuleIntentRouter(IntentRule.Keywords(["vpn", "password", "laptop", "密码"], "it"), IntentRule.Keywords(["leave", "salary", "年假"], "hr")),
        new ChatClientIntentRouter(model)),
    defaultRoute: "hr");

// The pipeline, outermost first: intent routing, whose default route ("docs") is the RAG client below it and whose "chat"
// route skips retrieval for arithmetic; then RAG over the routed retriever; then the model.
IChatClient assistant = new ChatClientBuilder(model)
    .Use(rag => new IntentRoutingChatClient(rag,
        new RuleIntentRouter(IntentRule.Pattern(@"\d+\s*[-+*/]\s*\d+", "chat")),
        [new ChatRoute("chat", model, "small talk and arithmetic")],
        new IntentRoutingChatClientOptions { DefaultRoute = "docs" }))
    .Use(inner => new RagChatClient(inner, retriever, new RagChatClientOptions { TopK = 1 }))
    .Build();

var options = new ChatOptions { MaxOutputTokens = 8 };
// The last question matches no rule, so the model picks its knowledge base (a tiny test model may well name neither: "hr").
foreach (string question in new[] { "What is 12 * 7?", "How many days of annual leave do I get?", "My VPN password expired, what now?", "When is overtime paid?" })
{
    var response = await assistant.GetResponseAsync(question, options);
    var passage = RagContent.From(response)?.Passages[0];
    Console.WriteLine($"{question} -> {IntentRoutingChatClient.RouteOf(response)}"
        + (passage is null ? "" : $", knowledge base {passage.KnowledgeBase}: {passage.Source}"));
}

// Streamed: the route is on every update, the passages come first and the citations with the last update.
string? route = null, source = null;
int citations = 0;
await foreach (var update in assistant.GetStreamingResponseAsync("Who replaces a broken laptop?", options))
{
    route ??= IntentRoutingChatClient.RouteOf(update);
    var rag = update.Contents.OfType<RagContent>().FirstOrDefault();
    source ??= rag?.Passages[0].Source;
    citations = rag?.Citations?.Count ?? citations;
}
Console.WriteLine($"streamed -> {route}: {source}, {citations} citation(s)");
