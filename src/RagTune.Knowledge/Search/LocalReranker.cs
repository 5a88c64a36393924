// The reranking stage over a local model (RagTune.Engine's IRerankerModel: a cross-encoder or a Qwen3-Reranker-style
// decoder): every hit's passage is scored against the query, hits are ordered by that probability (ties keep the fused
// order) and carry it as their score.
using RagTune.Engine;
using RagTune.Engine.Models;

namespace RagTune.Knowledge.Search;

public sealed class LocalReranker : IReranker, IDisposable
{
    private readonly bool _ownsModel;

    public LocalReranker(IRerankerModel model, bool ownsModel = false)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        _ownsModel = ownsModel;
    }

    public IRerankerModel Model { get; }

    /// <summary>Loads the reranker checkpoint in <paramref name="directory"/> (see RerankerModels.Load); a folder that holds
    /// no reranker fails with a KnowledgeException naming the file and field.</summary>
    public static LocalReranker Load(string directory, string? instruction = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        try
        {
            return new LocalReranker(RerankerModels.Load(directory, instruction), ownsModel: true);
        }
        catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException)
        {
            throw new KnowledgeException($"reranker '{directory}' could not be loaded: {e.Message}", e);
        }
    }

    public async Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(hits);
        if (hits.Count == 0) return hits;
        // CPU-bound: leave the caller's context, then score hit by hit, checking for cancellation between them.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        var scores = new float[hits.Count];
        for (int i = 0; i < hits.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string passage = hits[i].PassageText
                ?? throw new KnowledgeException($"reranker: hit '{hits[i].Id}' has no passage text (SearchHit.Text or metadata 'text'), expected the text to score.");
            try
            {
                scores[i] = Model.Score(query, passage);
            }
            catch (EngineException e)
            {
                throw new KnowledgeException($"reranker '{Model.Directory}': {e.Message}", e);
            }
        }
        return Enumerable.Range(0, hits.Count)
            .OrderByDescending(i => scores[i]).ThenBy(i => i)
            .Select(i => hits[i] with { Score = scores[i] })
            .ToList();
    }

    public void Dispose()
    {
        if (_ownsModel) Model.Dispose();
    }
}
