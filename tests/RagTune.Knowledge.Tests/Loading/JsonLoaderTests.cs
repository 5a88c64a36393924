// JSON/JSONL: a chosen text field per record, per-record errors naming line and field.
using Xunit;
using System.Text;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class JsonLoaderTests
{
    private const string Jsonl = """
        {"id": "a1", "body": "First record text.", "heading": "One", "year": 2024}
        {"id": "a2", "body": "第二条记录。", "heading": "Two"}

        {"id": "a3", "content": "no body field"}
        {"id": "a4", "body": 42}
        not json at all
        """;

    [Fact]
    public async Task ChosenFieldsAndPerRecordErrors()
    {
        var options = new DocumentLoadOptions { TextField = "body", TitleField = "heading" };
        var results = await TestFiles.LoadAsync(new JsonLoader(), "data/qa.jsonl", Encoding.UTF8.GetBytes(Jsonl), options);

        Assert.Equal(5, results.Count);
        var first = results[0].Document!;
        Assert.Equal("data/qa.jsonl#1", first.Id);
        Assert.Equal("First record text.", first.Text);
        Assert.Equal("One", first.Title);
        Assert.Equal("2024", first.Metadata["year"]);
        Assert.Equal("a1", first.Metadata["id"]);
        Assert.Equal("1", first.Metadata["record"]);
        Assert.Equal(DocumentSource.Sha256Hex(Encoding.UTF8.GetBytes(Jsonl.Split('\n')[0])), first.ContentHash);

        var second = results[1].Document!;
        Assert.Equal("data/qa.jsonl#2", second.Id);
        Assert.Equal("zh", second.Language);

        Assert.Equal("data/qa.jsonl#4", results[2].RelativePath);   // the blank line 3 is skipped, numbering follows lines
        Assert.Equal("cannot read 'data/qa.jsonl' line 4: field 'body' is missing; expected a string holding the text", results[2].Error);
        Assert.Equal("cannot read 'data/qa.jsonl' line 5: field 'body' is a JSON number, expected a string", results[3].Error);
        Assert.StartsWith("cannot read 'data/qa.jsonl' line 6: invalid JSON", results[4].Error);
    }

    [Fact]
    public async Task IdFieldNamesTheDocument()
    {
        var options = new DocumentLoadOptions { TextField = "body", IdField = "id" };
        var results = await TestFiles.LoadAsync(new JsonLoader(), "qa.jsonl", Encoding.UTF8.GetBytes(Jsonl), options);
        Assert.Equal("qa.jsonl#a1", results[0].Document!.Id);
        Assert.Equal("qa.jsonl#1", results[0].Document!.RelativePath);
    }

    [Fact]
    public async Task JsonArrayWithNestedField()
    {
        const string json = """[{"doc": {"text": "Nested one."}}, {"doc": {}}, "scalar"]""";
        var results = await TestFiles.LoadAsync(new JsonLoader(), "set.json", Encoding.UTF8.GetBytes(json), new DocumentLoadOptions { TextField = "doc.text" });
        Assert.Equal("Nested one.", results[0].Document!.Text);
        Assert.Equal("set #1", results[0].Document!.Title);
        Assert.Equal("cannot read 'set.json' record 2: field 'doc.text' is missing; expected a string holding the text", results[1].Error);
        Assert.Equal("cannot read 'set.json' record 3: found a JSON string, expected an object", results[2].Error);
    }

    [Fact]
    public async Task InvalidJsonFileIsAFileError()
    {
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => TestFiles.LoadAsync(new JsonLoader(), "bad.json", "[{\"text\": "u8.ToArray()));
        Assert.StartsWith("cannot read 'bad.json': invalid JSON", e.Message);
    }
}
