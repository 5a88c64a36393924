// Quick start: a local model as a Microsoft.Extensions.AI IChatClient — registered in DI, asked once, then streamed.
// MODEL_DIR is a Hugging Face decoder checkpoint folder (e.g. `ragtune pull Qwen/Qwen2.5-0.5B-Instruct`).
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

string modelDir = Environment.GetEnvironmentVariable("MODEL_DIR")
    ?? throw new InvalidOperationException("Set MODEL_DIR to a model folder (config.json, *.safetensors, tokenizer).");

var services = new ServiceCollection();
services.AddLocalChatClient(modelDir); // the model loads once, on first use; the client is thread-safe
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
Console.WriteLine($"provider: {chat.GetService<ChatClientMetadata>()?.ProviderName}");

// Greedy by default; ChatOptions set sampling (Temperature, TopP, TopK, Seed) and the length per request.
var options = new ChatOptions { MaxOutputTokens = 8 };
var response = await chat.GetResponseAsync("What does RAFT stand for?", options);
Console.WriteLine($"reply: {response.Text}");
Console.WriteLine($"output tokens: {response.Usage?.OutputTokenCount}, finish: {response.FinishReason}");

// Streaming gives the same greedy text piece by piece.
var streamed = new System.Text.StringBuilder();
await foreach (var update in chat.GetStreamingResponseAsync("What does RAFT stand for?", options))
    streamed.Append(update.Text);
Console.WriteLine($"streamed the same text: {streamed.ToString() == response.Text}");
