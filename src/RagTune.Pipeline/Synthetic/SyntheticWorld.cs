// A seeded world of fictional devices whose attributes no model can know: documents that state them, one question with
// an exact answer per attribute, and a split whose test questions are only about entities never seen in training.
using System.Text;
using RagTune.Eval;

namespace RagTune.Pipeline.Synthetic;

/// <summary>An entity's attribute, the sentence that states it and the question that asks for it.</summary>
public sealed record SyntheticFact(string Id, string Entity, string Attribute, string Value, string Sentence, string Question, string DocumentId);

/// <summary>A document: the interleaved attribute sentences of one or more entities; <see cref="Split"/> is "train" or "test".</summary>
public sealed record SyntheticDocument(string Id, string Title, string Text, IReadOnlyList<string> Entities, string Split);

public sealed class SyntheticWorld
{
    private SyntheticWorld(SyntheticWorldOptions options, List<SyntheticDocument> documents, List<SyntheticFact> facts)
    {
        Options = options;
        Documents = documents;
        Facts = facts;
        DocumentsById = documents.ToDictionary(d => d.Id, StringComparer.Ordinal);
    }

    public SyntheticWorldOptions Options { get; }

    public IReadOnlyList<SyntheticDocument> Documents { get; }

    public IReadOnlyList<SyntheticFact> Facts { get; }

    public IReadOnlyDictionary<string, SyntheticDocument> DocumentsById { get; }

    public IEnumerable<SyntheticFact> FactsIn(string split) => Facts.Where(f => DocumentsById[f.DocumentId].Split == split);

    public IEnumerable<SyntheticDocument> DocumentsIn(string split) => Documents.Where(d => d.Split == split);

    public static SyntheticWorld Generate(SyntheticWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var templates = SyntheticTemplates.For(options.Language);
        if (options.AttributesPerEntity < 1 || options.AttributesPerEntity > templates.Count)
            throw new EvalException($"synthetic world AttributesPerEntity: found {options.AttributesPerEntity}; expected 1 to {templates.Count}");
        if (options.Entities < 2 || options.EntitiesPerDocument < 1 || options.ValuesPerAttribute < 2)
            throw new EvalException($"synthetic world: found {options.Entities} entities, {options.EntitiesPerDocument} per document, "
                + $"{options.ValuesPerAttribute} values per attribute; expected at least 2, 1 and 2");
        if (options.TestFraction is <= 0 or >= 1)
            throw new EvalException($"synthetic world TestFraction: found {options.TestFraction}; expected a value in (0, 1)");

        var rng = new SyntheticRandom(options.Seed * 0x9E3779B97F4A7C15UL + (options.Language == "zh" ? 2UL : 1UL));
        var names = new NameMaker(options.Language, rng);
        int docCount = (options.Entities + options.EntitiesPerDocument - 1) / options.EntitiesPerDocument;
        int testDocs = Math.Clamp((int)Math.Round(docCount * options.TestFraction), 1, docCount - 1);
        var entities = names.Entities(options.Entities, trainEntities: (docCount - testDocs) * options.EntitiesPerDocument);
        var attributes = templates.Take(options.AttributesPerEntity).ToList();
        var pools = attributes.ToDictionary(a => a.Key, _ => Enumerable.Range(0, options.ValuesPerAttribute).Select(_ => names.Next(entity: false)).ToList());

        var documents = new List<SyntheticDocument>();
        var facts = new List<SyntheticFact>();
        for (int d = 0; d < docCount; d++)
        {
            string docId = $"doc{d:D5}";
            var members = entities.Skip(d * options.EntitiesPerDocument).Take(options.EntitiesPerDocument).ToList();
            var sentences = new List<string>();
            foreach (var entity in members)
                foreach (var a in attributes)
                {
                    var pool = pools[a.Key];
                    string value = pool[rng.Next(pool.Count)];
                    string sentence = string.Format(System.Globalization.CultureInfo.InvariantCulture, a.Statement, entity, value);
                    string question = string.Format(System.Globalization.CultureInfo.InvariantCulture, a.Question, entity);
                    facts.Add(new SyntheticFact($"{docId}-{entity}-{a.Key}", entity, a.Key, value, sentence, question, docId));
                    sentences.Add(sentence);
                }
            rng.Shuffle(sentences);
            string text = string.Join(options.Language == "zh" ? "" : " ", sentences);
            // The last documents are the test split: their entities appear in no training example.
            documents.Add(new SyntheticDocument(docId, string.Join(options.Language == "zh" ? "、" : ", ", members), text, members,
                d >= docCount - testDocs ? "test" : "train"));
        }
        return new SyntheticWorld(options, documents, facts);
    }

    /// <summary>This world with the last <paramref name="fraction"/> of its training documents relabelled "validation": their
    /// entities leave the training data and serve, like the test entities, as unseen ones (for choosing hyper-parameters).</summary>
    public SyntheticWorld WithValidationSplit(double fraction)
    {
        if (fraction is <= 0 or >= 1)
            throw new EvalException($"synthetic world validation fraction: found {fraction}; expected a value in (0, 1)");
        var train = DocumentsIn("train").ToList();
        int n = Math.Clamp((int)Math.Round(train.Count * fraction), 1, train.Count - 1);
        var moved = train.Skip(train.Count - n).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var documents = Documents.Select(d => moved.Contains(d.Id) ? d with { Split = "validation" } : d).ToList();
        return new SyntheticWorld(Options, documents, Facts.ToList());
    }

    /// <summary>The split name of site <paramref name="site"/>'s training documents in <see cref="WithSites"/>: "site-a", "site-b", ….</summary>
    public static string SiteSplit(int site) =>
        site is >= 0 and < 26 ? $"site-{(char)('a' + site)}" : throw new ArgumentOutOfRangeException(nameof(site), site, "expected a site index 0 to 25");

    /// <summary>This world with its training documents dealt into <paramref name="sites"/> disjoint contiguous blocks of
    /// (nearly) equal size, relabelled <see cref="SiteSplit"/>: each site of a federation holds its own entities, and a
    /// site's RAFT data (<see cref="SyntheticRaftData.Build"/> on its split) draws distractors from its own documents only.
    /// The test split is unchanged, so every arm of an experiment is scored on the same unseen entities.</summary>
    public SyntheticWorld WithSites(int sites)
    {
        var train = DocumentsIn("train").ToList();
        if (sites < 1 || sites > 26 || sites > train.Count)
            throw new EvalException($"synthetic world sites: found {sites} for {train.Count} training documents; expected 1 to {Math.Min(26, train.Count)}");
        var siteOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < train.Count; i++)
            siteOf[train[i].Id] = SiteSplit((int)((long)i * sites / train.Count));
        var documents = Documents.Select(d => siteOf.TryGetValue(d.Id, out var site) ? d with { Split = site } : d).ToList();
        return new SyntheticWorld(Options, documents, Facts.ToList());
    }

    /// <summary>k documents other than <paramref name="exclude"/> from the same split, drawn by <paramref name="rng"/>.</summary>
    public List<SyntheticDocument> SampleDistractors(string exclude, string split, int k, SyntheticRandom rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var pool = Documents.Where(d => d.Split == split && d.Id != exclude).ToList();
        if (pool.Count < k)
            throw new EvalException($"synthetic world: {k} distractors requested from the {split} split, which has only {pool.Count} other documents");
        var picked = new List<SyntheticDocument>(k);
        var taken = new HashSet<int>();
        while (picked.Count < k)
        {
            int i = rng.Next(pool.Count);
            if (taken.Add(i)) picked.Add(pool[i]);
        }
        return picked;
    }

    /// <summary>Unique pronounceable fictional names: capitalised CV syllables in English, transliteration characters in Chinese.</summary>
    /// <remarks>An unseen entity must still be made of pieces the student has seen, as an unseen name is made of known
    /// sub-words for any real tokenizer. Chinese names are three characters of a 33-character set, one token each. English
    /// entity names are two words ("Kapo Deli"), each drawn from a pool of about √(3 × entities) parts, and a test
    /// entity's parts all occur in training entities' names: with one word per name the word-level vocabulary would give
    /// every test entity a token whose embedding no training step ever touched, and matching the question's entity
    /// against a document's would rest on random vectors.</remarks>
    private sealed class NameMaker(string language, SyntheticRandom rng)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        /// <summary><paramref name="count"/> distinct entity names; the ones after the first <paramref name="trainEntities"/>
        /// (the test entities) only combine name parts that earlier ones use.</summary>
        public List<string> Entities(int count, int trainEntities)
        {
            if (language == "zh")
                return Enumerable.Range(0, count).Select(_ => Next(entity: true)).ToList();
            int parts = Math.Max(4, (int)Math.Ceiling(Math.Sqrt(3.0 * count)));
            var first = Enumerable.Range(0, parts).Select(_ => Next(entity: true)).ToList();
            var second = Enumerable.Range(0, parts).Select(_ => Next(entity: true)).ToList();
            var seenFirst = new HashSet<int>();
            var seenSecond = new HashSet<int>();
            var names = new List<string>(count);
            for (int attempt = 0; names.Count < count; attempt++)
            {
                if (attempt > 100 * count + 10_000)
                    throw new EvalException($"synthetic world: could not make {count} distinct entity names from {parts} × {parts} name parts");
                bool test = names.Count >= trainEntities;
                int a = rng.Next(parts), b = rng.Next(parts);
                if (test && (!seenFirst.Contains(a) || !seenSecond.Contains(b))) continue;
                string name = first[a] + " " + second[b];
                if (!_used.Add(name)) continue;
                if (!test) { seenFirst.Add(a); seenSecond.Add(b); }
                names.Add(name);
            }
            return names;
        }

        public string Next(bool entity)
        {
            for (int attempt = 0; ; attempt++)
            {
                if (attempt > 10_000)
                    throw new EvalException($"synthetic world: ran out of distinct {language} names ({_used.Count} made)");
                string name = language == "zh" ? Chinese(entity ? 3 : 2) : English(2, finalConsonant: !entity);
                if (_used.Add(name)) return name;
            }
        }

        private string English(int syllables, bool finalConsonant)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < syllables; i++)
            {
                sb.Append(SyntheticTemplates.EnglishOnsets[rng.Next(SyntheticTemplates.EnglishOnsets.Length)]);
                sb.Append(SyntheticTemplates.EnglishVowels[rng.Next(SyntheticTemplates.EnglishVowels.Length)]);
            }
            // A final consonant keeps values apart from entity name parts by shape.
            if (finalConsonant) sb.Append(SyntheticTemplates.EnglishOnsets[rng.Next(SyntheticTemplates.EnglishOnsets.Length)]);
            sb[0] = char.ToUpperInvariant(sb[0]);
            return sb.ToString();
        }

        private string Chinese(int length)
        {
            var sb = new StringBuilder();
            for (int i = 0; i < length; i++)
                sb.Append(SyntheticTemplates.ChineseSyllables[rng.Next(SyntheticTemplates.ChineseSyllables.Length)]);
            return sb.ToString();
        }
    }
}
