// Metadata filters: equals / in / prefix leaves, missing keys, And / Or composition.
using RagTune.Knowledge.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Search;

public sealed class MetadataFilterTests
{
    private static readonly Dictionary<string, string> Doc = new() { ["lang"] = "zh", ["source"] = "manuals/hr/leave.docx", ["year"] = "2024" };

    [Fact]
    public void Leaves()
    {
        Assert.True(MetadataFilter.Equal("lang", "zh").Matches(Doc));
        Assert.False(MetadataFilter.Equal("lang", "ZH").Matches(Doc));
        Assert.True(MetadataFilter.In("year", ["2023", "2024"]).Matches(Doc));
        Assert.False(MetadataFilter.In("year", ["2022"]).Matches(Doc));
        Assert.True(MetadataFilter.Prefix("source", "manuals/hr/").Matches(Doc));
        Assert.False(MetadataFilter.Prefix("source", "manuals/it/").Matches(Doc));
    }

    [Fact]
    public void MissingKeyOrMetadata_NeverMatchesALeaf()
    {
        Assert.False(MetadataFilter.Equal("author", "").Matches(Doc));
        Assert.False(MetadataFilter.Prefix("author", "").Matches(Doc));
        Assert.False(MetadataFilter.Equal("lang", "zh").Matches(null));
    }

    [Fact]
    public void AndOr()
    {
        var hr2024 = MetadataFilter.And(MetadataFilter.Prefix("source", "manuals/hr/"), MetadataFilter.Equal("year", "2024"));
        Assert.True(hr2024.Matches(Doc));
        Assert.False(hr2024.Matches(new Dictionary<string, string> { ["source"] = "manuals/hr/x", ["year"] = "2023" }));
        var either = MetadataFilter.Equal("lang", "en").Or(MetadataFilter.Equal("year", "2024"));
        Assert.True(either.Matches(Doc));
        Assert.False(either.Matches(new Dictionary<string, string> { ["lang"] = "fr" }));
        Assert.Equal("(source starts with \"manuals/hr/\" AND year = \"2024\")", hr2024.ToString());
        Assert.Throws<ArgumentException>(() => MetadataFilter.And());
    }
}
