// A scripted IChatClient for the tests: answers with a function of the prompt, records calls and peak concurrency.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Tests.Search;

internal sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, Task<string>> respond) : IChatClient
{
    private int _inFlight;
    private int _peak;

    public FakeChatClient(Func<IReadOnlyList<ChatMessage>, string> respond) : this(m => Task.FromResult(respond(m))) { }

    public List<IReadOnlyList<ChatMessage>> Calls { get; } = [];
    public List<ChatOptions?> Options { get; } = [];
    public int PeakConcurrency => Volatile.Read(ref _peak);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (Calls)
        {
            Calls.Add(list);
            Options.Add(options);
        }
        int now = Interlocked.Increment(ref _inFlight);
        int peak;
        while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
        try
        {
            await Task.Delay(5, cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, await respond(list)));
        }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The search components use non-streaming calls.");

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }

    /// <summary>The text of the user message of a call.</summary>
    public static string UserText(IReadOnlyList<ChatMessage> messages) => messages.Last(m => m.Role == ChatRole.User).Text;
}
