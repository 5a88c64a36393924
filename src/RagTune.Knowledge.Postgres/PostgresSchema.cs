// The DDL of a PostgreSQL knowledge base (schema version 1): one schema per knowledge base, identifiers quoted.
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal static class PostgresSchema
{
    public const int Version = 1;
    public const string Format = "ragtune-kb-postgres";

    /// <remarks>
    /// Ids are <c>COLLATE "C"</c> so ORDER BY id is ordinal, as in the embedded store. BM25: <c>postings</c> holds one row
    /// per (term, chunk) with the term frequency and the chunk's token count (so scoring needs no join), <c>kb_meta</c>
    /// the live corpus size and total length; df is counted from the postings at query time (primary key index on term).
    /// The <c>vectors</c> table is created by the first commit that brings embeddings, when their size is known.
    /// </remarks>
    public static string Create(string s) => $"""
        CREATE SCHEMA IF NOT EXISTS "{s}";
        CREATE TABLE "{s}".kb_meta (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            format text NOT NULL,
            schema_version integer NOT NULL,
            options jsonb NOT NULL,
            generation bigint NOT NULL DEFAULT 0,
            lexical_docs bigint NOT NULL DEFAULT 0,
            lexical_length bigint NOT NULL DEFAULT 0,
            vector_dimensions integer NOT NULL DEFAULT 0);
        CREATE TABLE "{s}".files (
            root text COLLATE "C" NOT NULL,
            relative_path text COLLATE "C" NOT NULL,
            content_hash text NOT NULL,
            document_ids text[] NOT NULL,
            PRIMARY KEY (root, relative_path));
        CREATE TABLE "{s}".documents (
            id text COLLATE "C" PRIMARY KEY,
            source_path text NOT NULL,
            relative_path text NOT NULL,
            title text NOT NULL,
            content_hash text NOT NULL,
            language text NOT NULL,
            text_length integer NOT NULL,
            metadata jsonb NOT NULL,
            chunks_per_level integer[] NOT NULL);
        CREATE TABLE "{s}".chunks (
            id text COLLATE "C" PRIMARY KEY,
            document_id text COLLATE "C" NOT NULL,
            level integer NOT NULL,
            idx integer NOT NULL,
            parent_id text,
            start_char integer NOT NULL,
            end_char integer NOT NULL,
            token_count integer NOT NULL,
            heading_path text[] NOT NULL,
            metadata jsonb NOT NULL,
            oversized boolean NOT NULL,
            text text NOT NULL,
            lexical_length integer);
        CREATE INDEX ON "{s}".chunks (document_id, level, idx);
        CREATE TABLE "{s}".postings (
            term text COLLATE "C" NOT NULL,
            chunk_id text COLLATE "C" NOT NULL,
            tf integer NOT NULL,
            length integer NOT NULL,
            PRIMARY KEY (term, chunk_id));
        CREATE INDEX ON "{s}".postings (chunk_id);
        """;

    /// <summary>The document-level route (kb.json document_route), created with the schema when the options have one:
    /// each document's representation text and BM25 postings (N and avgdl are counted from <c>document_route</c>).</summary>
    public static string CreateDocumentRoute(string s) => $"""
        CREATE TABLE "{s}".document_route (
            document_id text COLLATE "C" PRIMARY KEY,
            text text NOT NULL,
            lexical_length integer NOT NULL);
        CREATE TABLE "{s}".document_postings (
            term text COLLATE "C" NOT NULL,
            document_id text COLLATE "C" NOT NULL,
            tf integer NOT NULL,
            length integer NOT NULL,
            PRIMARY KEY (term, document_id));
        CREATE INDEX ON "{s}".document_postings (document_id);
        """;

    /// <summary>The document route's vectors, created with the chunk vectors (same model, same size).</summary>
    public static string CreateDocumentVectors(string s, int dimensions, string opclass, int m, int efConstruction) => $"""
        CREATE TABLE "{s}".document_vectors (
            document_id text COLLATE "C" PRIMARY KEY,
            embedding vector({dimensions}) NOT NULL);
        CREATE INDEX document_vectors_hnsw ON "{s}".document_vectors USING hnsw (embedding {opclass}) WITH (m = {m}, ef_construction = {efConstruction});
        """;

    public static string CreateVectors(string s, int dimensions, string opclass, int m, int efConstruction) => $"""
        CREATE TABLE "{s}".vectors (
            chunk_id text COLLATE "C" PRIMARY KEY,
            embedding vector({dimensions}) NOT NULL);
        CREATE INDEX vectors_hnsw ON "{s}".vectors USING hnsw (embedding {opclass}) WITH (m = {m}, ef_construction = {efConstruction});
        """;
}
