// Knowledge bases in PostgreSQL: KnowledgeBase.CreateAsync/OpenAsync overloads that take PostgresStoreOptions, added to
// KnowledgeBase by this package so the core does not reference Npgsql.
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

public static class PostgresKnowledgeBase
{
    extension(KnowledgeBase)
    {
        /// <summary>Creates a knowledge base in a PostgreSQL schema and opens it.</summary>
        public static async Task<KnowledgeBase> CreateAsync(PostgresStoreOptions postgres, KnowledgeBaseOptions? options = null,
            KnowledgeBaseOpenOptions? openOptions = null, CancellationToken cancellationToken = default)
        {
            var store = await PostgresKnowledgeStore.CreateAsync(postgres, options ?? new KnowledgeBaseOptions(), cancellationToken).ConfigureAwait(false);
            return new KnowledgeBase(store, openOptions);
        }

        /// <summary>Creates a knowledge base in a PostgreSQL schema and a directory linking to it (store.json), so that
        /// <see cref="KnowledgeBase.OpenAsync(string, KnowledgeBaseOpenOptions?, CancellationToken)"/> on the directory
        /// opens it (after <see cref="PostgresStoreLink.Register"/>).</summary>
        public static async Task<KnowledgeBase> CreateAsync(string directory, PostgresStoreOptions postgres, KnowledgeBaseOptions? options = null,
            KnowledgeBaseOpenOptions? openOptions = null, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(postgres);
            // The link first: it refuses a folder that is not empty before anything is created in the database.
            PostgresStoreLink.Write(directory, postgres);
            try
            {
                // The summary journal (document_route.kind summary) lives in the linking directory, as OpenAsync(directory) has it.
                if (openOptions?.SummaryJournalPath is null)
                    openOptions = (openOptions ?? new KnowledgeBaseOpenOptions()) with
                    {
                        SummaryJournalPath = Summaries.DocumentSummaryJournal.In(directory),
                    };
                return await KnowledgeBase.CreateAsync(postgres, options, openOptions, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                File.Delete(Path.Combine(directory, KnowledgeStoreLinks.FileName));
                throw;
            }
        }

        /// <summary>Opens a knowledge base in a PostgreSQL schema.</summary>
        public static async Task<KnowledgeBase> OpenAsync(PostgresStoreOptions postgres, KnowledgeBaseOpenOptions? openOptions = null,
            CancellationToken cancellationToken = default)
        {
            var store = await PostgresKnowledgeStore.OpenAsync(postgres, cancellationToken).ConfigureAwait(false);
            return new KnowledgeBase(store, openOptions);
        }
    }
}
