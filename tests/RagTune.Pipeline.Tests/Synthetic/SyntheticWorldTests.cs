// Checks the synthetic world: seeded and reproducible, facts stated in their documents, unseen entities in test, distractors.
using RagTune.Eval;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class SyntheticWorldTests
{
    [Theory]
    [InlineData("en")]
    [InlineData("zh")]
    public void Every_fact_is_stated_in_its_document_and_asked_by_a_question_naming_its_entity(string language)
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 50, AttributesPerEntity = 4, EntitiesPerDocument = 2, Language = language });
        Assert.Equal(25, world.Documents.Count);
        Assert.Equal(200, world.Facts.Count);
        foreach (var f in world.Facts)
        {
            var doc = world.DocumentsById[f.DocumentId];
            Assert.Contains(f.Sentence, doc.Text, StringComparison.Ordinal);
            Assert.Contains(f.Value, f.Sentence, StringComparison.Ordinal);
            Assert.Contains(f.Entity, f.Question, StringComparison.Ordinal);
            Assert.DoesNotContain(f.Value, f.Question, StringComparison.Ordinal);
            Assert.Contains(f.Entity, doc.Entities);
        }
        // One question per (entity, attribute) and unique entity names.
        Assert.Equal(world.Facts.Count, world.Facts.Select(f => f.Question).Distinct().Count());
        Assert.Equal(50, world.Facts.Select(f => f.Entity).Distinct().Count());
    }

    [Fact]
    public void Test_questions_are_about_entities_that_no_training_document_mentions()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 100, TestFraction = 0.2 });
        var trainEntities = world.FactsIn("train").Select(f => f.Entity).ToHashSet();
        var testFacts = world.FactsIn("test").ToList();
        Assert.Equal(20 * 3, testFacts.Count);
        Assert.All(testFacts, f => Assert.DoesNotContain(f.Entity, trainEntities));
        var trainText = string.Join("\n", world.DocumentsIn("train").Select(d => d.Text));
        Assert.All(testFacts, f => Assert.DoesNotContain(f.Entity, trainText, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("en")]
    [InlineData("zh")]
    public void Unseen_entities_are_made_of_name_pieces_that_training_entities_use(string language)
    {
        // A real tokenizer spells an unseen name with known sub-words; here every piece of a test entity's name (a word in
        // English, a character in Chinese) occurs in some training entity's name, so no test token is untrained.
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 200, Language = language, Seed = 11 });
        IEnumerable<string> Pieces(string name) => language == "en" ? name.Split(' ') : name.Select(c => c.ToString());
        var trainPieces = world.FactsIn("train").SelectMany(f => Pieces(f.Entity)).ToHashSet(StringComparer.Ordinal);
        var testFacts = world.FactsIn("test").ToList();
        Assert.NotEmpty(testFacts);
        Assert.All(testFacts, f => Assert.All(Pieces(f.Entity), p => Assert.Contains(p, trainPieces)));
        if (language == "en")
            Assert.All(world.Facts, f => Assert.Matches("^[A-Z][a-z]+ [A-Z][a-z]+$", f.Entity));
    }

    [Fact]
    public void The_same_seed_gives_the_same_world_and_another_seed_another()
    {
        var a = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 30, Seed = 3 });
        var b = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 30, Seed = 3 });
        var c = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 30, Seed = 4 });
        Assert.Equal(a.Documents.Select(d => d.Text), b.Documents.Select(d => d.Text));
        Assert.NotEqual(a.Documents.Select(d => d.Text), c.Documents.Select(d => d.Text));
    }

    [Fact]
    public void English_sentences_read_as_the_templates_say()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 10 });
        var f = world.Facts.First(x => x.Attribute == "city");
        Assert.Equal($"The {f.Entity} device is made in {f.Value}.", f.Sentence);
        Assert.Equal($"Where is the {f.Entity} device made?", f.Question);
        var zh = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 10, Language = "zh" }).Facts.First(x => x.Attribute == "inventor");
        Assert.Equal($"{zh.Entity}装置的发明者是{zh.Value}。", zh.Sentence);
    }

    [Fact]
    public void Distractors_come_from_other_documents_of_the_same_split_without_repeats()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 40 });
        var rng = new SyntheticRandom(1);
        for (int i = 0; i < 20; i++)
        {
            var d = world.SampleDistractors("doc00003", "train", 4, rng);
            Assert.Equal(4, d.Select(x => x.Id).Distinct().Count());
            Assert.All(d, x => { Assert.NotEqual("doc00003", x.Id); Assert.Equal("train", x.Split); });
        }
        var e = Assert.Throws<EvalException>(() => world.SampleDistractors("doc00039", "test", 8, rng));
        Assert.Contains("test split", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_rejected_with_the_field_named()
    {
        var e = Assert.Throws<EvalException>(() => SyntheticWorld.Generate(new SyntheticWorldOptions { AttributesPerEntity = 9 }));
        Assert.Contains("AttributesPerEntity", e.Message, StringComparison.Ordinal);
        Assert.Throws<EvalException>(() => SyntheticWorld.Generate(new SyntheticWorldOptions { Language = "fr" }));
    }
    [Fact]
    public void Sites_hold_disjoint_thirds_of_the_training_entities_and_draw_distractors_from_their_own()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 100 });
        var split = world.WithSites(3);
        var train = world.DocumentsIn("train").Select(d => d.Id).ToList();
        var sites = Enumerable.Range(0, 3).Select(s => split.DocumentsIn(SyntheticWorld.SiteSplit(s)).Select(d => d.Id).ToList()).ToList();
        Assert.Equal(["site-a", "site-b", "site-c"], Enumerable.Range(0, 3).Select(SyntheticWorld.SiteSplit));
        // 80 training documents: 27 / 27 / 26, every one at exactly one site, the test split untouched, nothing left in "train".
        Assert.Equal([27, 27, 26], sites.Select(s => s.Count));
        Assert.Equal(train, sites.SelectMany(s => s));
        Assert.Empty(split.DocumentsIn("train"));
        Assert.Equal(world.DocumentsIn("test").Select(d => d.Id), split.DocumentsIn("test").Select(d => d.Id));
        // A site's RAFT examples ask about its entities only and show only its documents.
        var examples = SyntheticRaftData.Build(split, RaftRegime.Raft, new SyntheticRaftOptions { Distractors = 4 }, SyntheticWorld.SiteSplit(1));
        Assert.Equal(27 * 3, examples.Count);
        Assert.All(examples, e => Assert.All(e.DocumentIds, id => Assert.Contains(id, sites[1])));
        Assert.Throws<EvalException>(() => world.WithSites(0));
        Assert.Throws<EvalException>(() => world.WithSites(81));
    }
}
