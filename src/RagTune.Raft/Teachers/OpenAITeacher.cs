// Teacher over any OpenAI-compatible endpoint: the shared OpenAIChatClient with the SDK's retries off, behind ChatClientTeacher.
using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace RagTune.Raft.Teachers;

/// <summary>
/// Calls /chat/completions through <see cref="OpenAIChatClient"/>. The SDK's own retry policy is switched off
/// (<c>ClientRetryPolicy(0)</c>) so that <see cref="ResilientTeacher"/>'s policy — which honours Retry-After and counts
/// attempts — is the only one in force. Errors surface as <see cref="ClientResultException"/> for the policy to classify.
/// </summary>
public sealed class OpenAITeacher : ITeacher
{
    private readonly ChatClientTeacher _teacher;

    public OpenAITeacher(OpenAITeacherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Model))
            throw new RaftException("teacher model name is empty: expected e.g. --model qwen2.5:7b");
        var clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = options.NetworkTimeout,
        };
        var client = new OpenAIChatClient(options.Model, options.Endpoint, options.ResolveApiKey(), clientOptions);
        _teacher = new ChatClientTeacher(client, options.Model, options.Stream);
    }

    public string ModelName => _teacher.ModelName;

    public Uri? Endpoint => _teacher.Endpoint;

    public Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default) =>
        _teacher.CompleteAsync(request, cancellationToken);
}
