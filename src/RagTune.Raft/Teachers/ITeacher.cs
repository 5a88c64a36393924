// The teacher LLM RAFT and distillation ask: an OpenAI-compatible endpoint or any Microsoft.Extensions.AI IChatClient.
namespace RagTune.Raft.Teachers;

/// <summary>A chat model that answers one request at a time; implementations are thread-safe.</summary>
public interface ITeacher
{
    /// <summary>The model name, used for prices and recorded in run settings.</summary>
    string ModelName { get; }

    Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default);
}
