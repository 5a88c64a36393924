// How the post-processor joins a pair of texts (a reranker's query and passage): special ids and sequences in the order
// of tokenizer.json's TemplateProcessing "pair" (or BertProcessing / RobertaProcessing), each with its token type id.
// BERT: [CLS] A [SEP] B [SEP] with types 0…0 1…1; XLM-R: <s> A </s></s> B </s>, all type 0.
namespace RagTune.Engine.Tokenizers;

public sealed class PairTemplate
{
    /// <summary>One step: special ids (Sequence -1) or the first (0) or second (1) text, with the type id it gets.</summary>
    internal readonly record struct Item(int[] Ids, int Sequence, int TypeId);

    private readonly Item[] _items;

    internal PairTemplate(IEnumerable<Item> items)
    {
        _items = items.ToArray();
        SpecialCount = _items.Where(i => i.Sequence < 0).Sum(i => i.Ids.Length);
    }

    /// <summary>How many special ids the template adds (the room truncation must leave).</summary>
    public int SpecialCount { get; }

    /// <summary>The joined ids and their token type ids.</summary>
    public (int[] Ids, int[] TypeIds) Apply(ReadOnlySpan<int> first, ReadOnlySpan<int> second)
    {
        var ids = new List<int>(first.Length + second.Length + SpecialCount);
        var types = new List<int>(ids.Capacity);
        foreach (var item in _items)
        {
            var part = item.Sequence switch { 0 => first, 1 => second, _ => item.Ids };
            ids.AddRange(part);
            for (int k = 0; k < part.Length; k++) types.Add(item.TypeId);
        }
        return (ids.ToArray(), types.ToArray());
    }

    /// <summary>BertProcessing: [CLS] A [SEP] B [SEP], the second text and its [SEP] of type 1.</summary>
    internal static PairTemplate Bert(int cls, int sep) =>
        new([new([cls], -1, 0), new([], 0, 0), new([sep], -1, 0), new([], 1, 1), new([sep], -1, 1)]);

    /// <summary>RobertaProcessing: &lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;, all of type 0.</summary>
    internal static PairTemplate Roberta(int cls, int sep) =>
        new([new([cls], -1, 0), new([], 0, 0), new([sep, sep], -1, 0), new([], 1, 0), new([sep], -1, 0)]);
}
