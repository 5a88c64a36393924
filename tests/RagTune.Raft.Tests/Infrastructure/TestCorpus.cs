// Small synthetic corpora (English and Chinese) for RAFT tests.
using RagTune.Raft.Sources;

namespace RagTune.Raft.Tests.Infrastructure;

public static class TestCorpus
{
    private static readonly string[] Colours = ["red", "green", "blue", "amber", "violet", "grey", "white", "black"];
    private static readonly string[] Things = ["pump", "valve", "turbine", "sensor", "relay", "boiler", "filter", "motor"];

    /// <summary><paramref name="documents"/> × <paramref name="chunksPerDocument"/> distinct English chunks; document ids "doc{d}".</summary>
    public static List<RaftChunk> English(int documents, int chunksPerDocument) =>
        (from d in Enumerable.Range(0, documents)
         from s in Enumerable.Range(0, chunksPerDocument)
         select new RaftChunk($"doc{d}#{s}", $"doc{d}",
             $"Record {d}-{s}: the {Colours[(d + s) % Colours.Length]} {Things[(d * 3 + s) % Things.Length]} of plant {d} runs at {10 + d * 7 + s} bar. " +
             $"It is inspected every {2 + s} weeks by team {(char)('A' + d % 26)}.", $"Plant {d} manual")).ToList();

    /// <summary>Chinese chunks, ids "zh{d}#{s}".</summary>
    public static List<RaftChunk> Chinese(int documents, int chunksPerDocument) =>
        (from d in Enumerable.Range(0, documents)
         from s in Enumerable.Range(0, chunksPerDocument)
         select new RaftChunk($"zh{d}#{s}", $"zh{d}",
             $"记录{d}-{s}：第{d}号工厂的{s + 1}号水泵工作压力为{10 + d * 7 + s}巴。它每{2 + s}周由{(char)('A' + d % 26)}组检查一次。", $"工厂{d}手册")).ToList();
}
