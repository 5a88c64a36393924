// Opens a knowledge base for the CLI with the live objects kb.json cannot hold: for a local embedding model, the
// engine's BERT-family encoder loaded from the model folder, so that `kb add` embeds and `kb search` has a dense route.
using Microsoft.Extensions.AI;
using RagTune.Engine;
using RagTune.Knowledge;
using RagTune.Knowledge.Store;

namespace RagTune.Cli.Commands.Kb;

internal static class KbOpen
{
    /// <summary>Opens the committed state of <paramref name="directory"/>; a Local embedding kind loads its model.</summary>
    public static async Task<KnowledgeBase> OpenAsync(string directory, CancellationToken cancellationToken)
    {
        var store = await KnowledgeBase.OpenStoreAsync(directory, cancellationToken);
        try
        {
            var generator = store.Options.Embedding.Kind == EmbeddingKind.Local
                ? await Task.Run(() => LoadLocal(directory, store.Options.Embedding), cancellationToken)
                : null;
            return new KnowledgeBase(store, new KnowledgeBaseOpenOptions { EmbeddingGenerator = generator });
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    private static IEmbeddingGenerator<string, Embedding<float>> LoadLocal(string directory, EmbeddingSettings settings)
    {
        var folder = settings.ModelDirectory ?? settings.Model!;
        try
        {
            return Engine.AI.LocalEmbeddingGenerator.Load(folder, settings.Model);
        }
        catch (EngineException e)
        {
            throw new KnowledgeException($"knowledge base '{directory}': kb.json embedding.model_directory '{folder}' could not be loaded: {e.Message}", e);
        }
    }
}
