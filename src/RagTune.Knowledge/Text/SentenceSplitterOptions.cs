// Abbreviation lists that keep the English sentence splitter from breaking after "Dr." or "Fig. 3".
namespace RagTune.Knowledge.Text;

public sealed record SentenceSplitterOptions
{
    /// <summary>Lower-case words (without the final dot) after which a '.' never ends a sentence.</summary>
    public IReadOnlyCollection<string> Abbreviations { get; init; } =
    [
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "cf", "al", "viz", "resp",
        "inc", "ltd", "co", "corp", "approx", "dept", "est", "gen", "col", "lt", "sgt", "capt", "rev", "hon", "gov",
        "sen", "rep", "ave", "blvd", "u.s", "u.k", "u.s.a", "ph.d",
    ];

    /// <summary>Lower-case words after which a '.' does not end a sentence when a number follows ("No. 5", "Fig. 3", "Jan. 12");
    /// before other words they may end one ("I said no. Then …").</summary>
    public IReadOnlyCollection<string> NumberAbbreviations { get; init; } =
    [
        "no", "nos", "fig", "figs", "eq", "eqs", "vol", "vols", "pp", "p", "ch", "sec", "art", "ref", "tab",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    ];
}
