// Test doubles: a scripted IChatClient, a deterministic IEmbeddingGenerator and a scripted IEvalSystem.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Tests;

internal sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, string> reply, int delayMs = 0) : IChatClient
{
    private int _inFlight;
    public int MaxInFlight;
    public int Calls;
    public readonly List<IReadOnlyList<ChatMessage>> Requests = [];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        int now = Interlocked.Increment(ref _inFlight);
        lock (Requests)
        {
            Calls++;
            Requests.Add(list);
            MaxInFlight = Math.Max(MaxInFlight, now);
        }
        try
        {
            if (delayMs > 0) await Task.Delay(delayMs, cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, reply(list, options)));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var r = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var u in r.ToChatResponseUpdates()) yield return u;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
    public void Dispose() { }
}

/// <summary>Bag-of-characters embeddings: identical texts give cosine 1, disjoint character sets cosine 0.</summary>
internal sealed class FakeEmbeddingGenerator(bool fail = false) : IEmbeddingGenerator<string, Embedding<float>>
{
    public readonly List<int> BatchSizes = [];

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = values.ToList();
        if (fail) throw new HttpRequestException("embedding service unavailable");
        lock (BatchSizes) BatchSizes.Add(list.Count);
        var result = new GeneratedEmbeddings<Embedding<float>>(list.Select(v => new Embedding<float>(Embed(v))));
        return Task.FromResult(result);
    }

    public static float[] Embed(string text)
    {
        var v = new float[64];
        foreach (var c in text.ToLowerInvariant())
            if (!char.IsWhiteSpace(c)) v[c % 64] += 1;
        return v;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
    public void Dispose() { }
}

internal sealed class ScriptedSystem(string name, Func<EvalItem, string> answer, Func<EvalItem, bool>? fail = null) : IEvalSystem
{
    private int _calls;
    public int Calls => _calls;
    public readonly List<string> Answered = [];

    public string Name => name;

    public async Task<SystemAnswer> AnswerAsync(EvalItem item, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        lock (Answered) Answered.Add(item.Id);
        await Task.Yield();
        if (fail?.Invoke(item) == true) throw new InvalidOperationException($"backend down for {item.Id}");
        var docs = item.Documents.Select(d => new RetrievedDocument(d.Id, d.Text, d.IsOracle)).ToList();
        return new SystemAnswer(answer(item), docs, TimeSpan.FromMilliseconds(5));
    }
}
