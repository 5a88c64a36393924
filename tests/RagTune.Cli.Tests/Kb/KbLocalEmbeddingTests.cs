// `ragtune kb` with a local embedding model: create --embedding-model FOLDER, add embeds every indexed chunk with the
// engine's encoder, and the dense route ranks by cosine similarity exactly as the encoder computed independently.
using System.Text.Json;
using RagTune.Engine.AI;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Cli.Tests.Kb;

public sealed class KbLocalEmbeddingTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public KbLocalEmbeddingTests()
    {
        Directory.CreateDirectory(Docs);
        File.WriteAllText(Path.Combine(Docs, "bread.txt"), "A sourdough starter is flour and water fermented by wild yeast. Feed the starter daily.");
        File.WriteAllText(Path.Combine(Docs, "pump.md"), "# Pumps\n\nThe coolant pump holds forty bar of pressure.\n\nSeals are replaced every spring.");
        Directory.CreateDirectory(Path.Combine(Docs, "zh"));
        File.WriteAllText(Path.Combine(Docs, "zh", "kb.md"), "# 知识库\n\n知识库把文档切成块，并为每个块建立索引。\n");
    }

    public void Dispose() => _temp.Dispose();

    private string Docs => _temp.File("docs");
    private string KbDir => _temp.File("kb");
    private static string Model => ModelFixtures.Dir("bert-tiny-cls");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<CliResult> Run(params string[] args) => CliHarness.RunAsync(args, null, Ct);

    private static List<JsonElement> Lines(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task LocalModelEmbedsOnAddAndRanksDenseSearchByCosine()
    {
        var created = await Run("kb", "create", KbDir, "--levels", "40", "--overlap", "0", "--chinese", "bigram", "--embedding-model", Model);
        Assert.True(created.ExitCode == 0, created.Stderr);
        Assert.Contains("embedding: local", created.Stdout);
        Assert.Contains("bert-tiny-cls", created.Stdout);

        var added = await Run("kb", "add", KbDir, Docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
        var written = int.Parse(System.Text.RegularExpressions.Regex.Match(added.Stdout, @"chunks written\s+│\s+(\d+)").Groups[1].Value);
        Assert.True(written >= 3, added.Stdout);
        Assert.Matches($@"chunks embedded\s+│\s+{written}\b", added.Stdout);

        const string query = "sourdough starter yeast";
        var dense = await Run("kb", "search", KbDir, query, "--routes", "dense", "-k", "50", "--json");
        Assert.True(dense.ExitCode == 0, dense.Stderr);
        var results = Lines(dense.Stdout);
        Assert.Equal(written, results.Count);
        Assert.All(results, r => Assert.Equal("dense", r.GetProperty("route").GetString()));

        // Independent reference: the same encoder, cosine of query and chunk text, must give the same order.
        using var encoder = LocalEmbeddingGenerator.Load(Model);
        var texts = results.Select(r => r.GetProperty("text").GetString()!).ToList();
        var vectors = await encoder.GenerateAsync([query, .. texts], cancellationToken: Ct);
        var q = vectors[0].Vector.ToArray();
        var cosines = texts.Select((_, i) => Cosine(q, vectors[i + 1].Vector.ToArray())).ToList();
        for (int i = 1; i < cosines.Count; i++)
            Assert.True(cosines[i - 1] >= cosines[i] - 1e-5, $"rank {i} cosine {cosines[i - 1]} < rank {i + 1} cosine {cosines[i]}");

        var hybrid = await Run("kb", "search", KbDir, query, "--routes", "dense,bm25", "--json");
        Assert.True(hybrid.ExitCode == 0, hybrid.Stderr);
        var top = Lines(hybrid.Stdout)[0];
        Assert.Equal("bread.txt", top.GetProperty("document_id").GetString());
        Assert.Equal("bm25+dense", string.Join('+', top.GetProperty("route").GetString()!.Split('+').Order()));

        // Without --routes a local knowledge base now searches both routes.
        var plain = await Run("kb", "search", KbDir, query, "--json");
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        Assert.DoesNotContain("bm25 only", plain.Stderr);
        Assert.Contains("dense", Lines(plain.Stdout)[0].GetProperty("route").GetString());
    }

    [Fact]
    public async Task ADecoderEmbedderIndexesDocumentsPlainAndQueriesWithItsInstruction()
    {
        // qwen3-embed-tiny declares prompts.query = "Instruct: …\nQuery:" and document "": the golden embeddings of
        // tools/reference/make_decoder_embedder.py are of the instructed query and the plain documents, so each dense score
        // must be the cosine of those golden vectors.
        string model = ModelFixtures.Dir("qwen3-embed-tiny");
        var golden = ModelFixtures.Golden("qwen3-embed-tiny");
        var documents = golden.GetProperty("documents").EnumerateArray().Select(d => d.GetString()!).ToArray();
        var expected = golden.GetProperty("embeddings").EnumerateArray().Select(e => e.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        string docs = _temp.File("decoder-docs");
        Directory.CreateDirectory(docs);
        for (int i = 0; i < documents.Length; i++) File.WriteAllText(Path.Combine(docs, $"d{i}.txt"), documents[i]);

        var created = await Run("kb", "create", KbDir, "--levels", "64", "--overlap", "0", "--embedding-model", model);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var added = await Run("kb", "add", KbDir, docs);
        Assert.True(added.ExitCode == 0, added.Stderr);
        string query = golden.GetProperty("queries")[0].GetString()!;
        var dense = await Run("kb", "search", KbDir, query, "--routes", "dense", "-k", "10", "--json");
        Assert.True(dense.ExitCode == 0, dense.Stderr);
        var results = Lines(dense.Stdout);
        Assert.Equal(documents.Length, results.Count);
        foreach (var r in results)
        {
            int d = Array.IndexOf(documents, r.GetProperty("text").GetString()!.Trim());
            Assert.True(d >= 0, r.GetProperty("text").GetString());
            double cosine = Cosine(expected[0], expected[2 + d]);
            Assert.True(Math.Abs(cosine - r.GetProperty("score").GetDouble()) < 1e-5, $"document {d}: score {r.GetProperty("score").GetDouble()}, golden cosine {cosine}");
        }
    }

    [Fact]
    public async Task AFolderWithoutConfigIsRefusedAtCreate()
    {
        var empty = Directory.CreateDirectory(_temp.File("not-a-model")).FullName;
        var created = await Run("kb", "create", KbDir, "--embedding-model", empty);
        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("config.json", created.Stderr);
        Assert.Contains("not-a-model", created.Stderr);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
