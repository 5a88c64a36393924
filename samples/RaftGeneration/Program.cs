// Quick start: RAFT training data from a knowledge base and a teacher model. The teacher is any IChatClient; here the
// official OpenAI SDK through Microsoft.Extensions.AI.OpenAI, pointed at any OpenAI-compatible endpoint
// (OpenAI, vLLM, Ollama's /v1, a `ragtune serve` …).
using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using RagTune.Knowledge.Store;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Teachers;

string endpoint = Environment.GetEnvironmentVariable("OPENAI_BASE_URL") ?? "http://localhost:11434/v1";
string apiKey = Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "unused";
string model = Environment.GetEnvironmentVariable("TEACHER_MODEL") ?? "qwen2.5:7b";

string work = Path.Combine(Path.GetTempPath(), $"ragtune-sample-raft-{Guid.NewGuid():N}");
try
{
    // 1. The documents, chunked and indexed (the chunks RAFT asks about; distractors can come from its search).
    await using var kb = await KnowledgeBase.CreateAsync(Path.Combine(work, "kb"));
    await kb.AddFolderAsync(Path.Combine(AppContext.BaseDirectory, "docs"));
    var chunks = await new KnowledgeBaseChunkSource(kb).LoadChunksAsync();

    // 2. The teacher writes questions per chunk and chain-of-thought answers that quote it.
    IChatClient client = new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = new Uri(endpoint) })
        .GetChatClient(model).AsIChatClient();
    var teacher = new ChatClientTeacher(client, model);
    var generator = new RaftGenerator(teacher, new RaftOptions { QuestionsPerChunk = 2, Distractors = 1, Seed = 7 });

    // 3. A resumable run directory (rerun to continue after a crash), then the exports (chat JSONL, LLaMA-Factory, …).
    string run = Path.Combine(work, "run");
    var result = await generator.RunAsync(chunks, run);
    Console.WriteLine($"chunks: {result.ChunksDone}/{result.ChunksTotal}, examples: {result.Examples}, rejected answers: {result.RejectedAnswers}");
    var export = await RaftExporter.ExportAsync(run, Path.Combine(work, "data"));
    Console.WriteLine($"exported {export.TrainExamples} train and {export.TestExamples} test examples");
    Console.WriteLine($"files: {string.Join(" ", export.Files.Select(Path.GetFileName).Order(StringComparer.Ordinal))}");
}
finally
{
    if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
}
