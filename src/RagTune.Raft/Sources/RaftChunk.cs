// One piece of source text RAFT writes questions about: its id, the document it came from, the text and an optional title.
namespace RagTune.Raft.Sources;

/// <summary>A chunk of a document. <see cref="DocumentId"/> decides what counts as "another document" for distractors.</summary>
public sealed record RaftChunk(string Id, string DocumentId, string Text, string? Title = null)
{
    /// <summary>The title shown in the RAFT <c>context.title</c> list: the chunk's title, else its document id.</summary>
    public string DisplayTitle => string.IsNullOrWhiteSpace(Title) ? DocumentId : Title!;
}
