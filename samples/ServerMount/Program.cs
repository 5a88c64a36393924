// Quick start: the RagTune server mounted in an existing ASP.NET Core app. services.AddRagTuneServer(...) registers the
// models and knowledge bases it serves; app.MapRagTune() adds the OpenAI-compatible API (/v1/chat/completions,
// /v1/embeddings, /v1/models) and the web UI beside the app's own endpoints. `ragtune serve` is this, hosted alone.
// MODEL_DIR is a Hugging Face decoder checkpoint folder; the app listens on a free loopback port, answers one RAG
// request and stops.
using System.Text.Json;
using RagTune.Knowledge.Store;
using RagTune.Server.Configuration;

string modelDir = Environment.GetEnvironmentVariable("MODEL_DIR")
    ?? throw new InvalidOperationException("Set MODEL_DIR to a model folder (config.json, *.safetensors, tokenizer).");
string kbDir = Path.Combine(Path.GetTempPath(), $"ragtune-sample-server-{Guid.NewGuid():N}");
try
{
    await using (var kb = await KnowledgeBase.CreateAsync(kbDir))
        await kb.AddFolderAsync(Path.Combine(AppContext.BaseDirectory, "docs"));

    var builder = WebApplication.CreateSlimBuilder(args);
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // What `ragtune serve --config` reads from YAML: the models, and knowledge bases answered as "rag:<name>".
    builder.Services.AddRagTuneServer(new ServerOptions
    {
        Models = [new ModelEntry { Name = "local", Path = modelDir, DefaultMaxTokens = 16 }],
        KnowledgeBases = [new KnowledgeBaseEntry { Name = "plant", Path = kbDir, Generator = "local", TopK = 2, SourcesFooter = false }],
        ApiKeys = ["sample-key"], // guards RagTune's endpoints only
    });

    await using var app = builder.Build();
    app.MapGet("/health", () => "ok");   // the app's own endpoint
    app.MapRagTune();                    // loads the model and the knowledge base now: a bad configuration fails here
    await app.StartAsync();

    using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    Console.WriteLine($"GET /health: {await http.GetStringAsync("/health")}");
    http.DefaultRequestHeaders.Authorization = new("Bearer", "sample-key");
    using var reply = await http.PostAsJsonAsync("/v1/chat/completions", new
    {
        model = "rag:plant",
        messages = new[] { new { role = "user", content = "Where do the cooling pumps stand?" } },
    });
    using var json = JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
    Console.WriteLine($"POST /v1/chat/completions: {(int)reply.StatusCode}, object: {json.RootElement.GetProperty("object").GetString()}");
    Console.WriteLine($"answer: {json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()}");
    // Beside OpenAI's fields, the reply carries the RAG passages and citations.
    foreach (var citation in json.RootElement.GetProperty("citations").EnumerateArray())
        Console.WriteLine($"citation [{citation.GetProperty("index").GetInt32()}] {citation.GetProperty("kind").GetString()}: {citation.GetProperty("document").GetString()}");

    await app.StopAsync();
    Console.WriteLine("stopped");
}
finally
{
    if (Directory.Exists(kbDir)) Directory.Delete(kbDir, recursive: true);
}
