// The teacher over an OpenAI-compatible endpoint: the Microsoft.Extensions.AI pipeline (SDK client → streamed replies when
// asked → resilience) behind ChatClientTeacher.
using Microsoft.Extensions.AI;
using OpenAI;
using RagTune.Raft.Clients;

namespace RagTune.Raft.Teachers;

public static class OpenAITeacher
{
    /// <summary>Builds the teacher. The per-attempt network timeout of the SDK is the resilience timeout plus a margin,
    /// so the resilience policy, which counts and retries timeouts, is the one that fires.</summary>
    public static ChatClientTeacher Create(OpenAITeacherOptions options, ResilienceOptions? resilience = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Model))
            throw new RaftException("teacher model name is empty: expected e.g. --model qwen2.5:7b");
        resilience ??= new ResilienceOptions();
        var sdk = OpenAICompatibleChatClient.Create(options.Model, options.Endpoint, options.ResolveApiKey(),
            new OpenAIClientOptions { NetworkTimeout = resilience.RequestTimeout + TimeSpan.FromSeconds(5) });
        // The first step added is the outermost: resilience wraps the streamed-reply step, so a whole streamed reply —
        // including one cut off after some chunks — is retried, not just a stream that failed before its first chunk.
        var builder = sdk.AsBuilder().UseResilience(resilience, timeProvider);
        if (options.Stream)
            builder.UseStreamedReplies();
        return new ChatClientTeacher(builder.Build(), options.Model);
    }
}
