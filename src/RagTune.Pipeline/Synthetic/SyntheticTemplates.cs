// Sentence and question templates of the synthetic world, and the syllables fictional names are made of, in English and Chinese.
using RagTune.Eval;

namespace RagTune.Pipeline.Synthetic;

/// <summary>One attribute: how a document states it and how a question asks for it ({0} = entity, {1} = value).</summary>
public sealed record AttributeTemplate(string Key, string Statement, string Question);

public static class SyntheticTemplates
{
    public const int AttributeCount = 4;

    // Short, regular sentences: a tiny model must learn to find the entity's sentence and copy one word from it.
    private static readonly AttributeTemplate[] English =
    [
        new("inventor", "The {0} device was invented by {1}.", "Who invented the {0} device?"),
        new("city", "The {0} device is made in {1}.", "Where is the {0} device made?"),
        new("material", "The {0} device is built from {1}.", "What is the {0} device built from?"),
        new("owner", "The {0} device belongs to {1}.", "Who owns the {0} device?"),
    ];

    private static readonly AttributeTemplate[] Chinese =
    [
        new("inventor", "{0}装置的发明者是{1}。", "谁发明了{0}装置？"),
        new("city", "{0}装置的产地是{1}。", "{0}装置产于哪里？"),
        new("material", "{0}装置的材料是{1}。", "{0}装置用什么材料？"),
        new("owner", "{0}装置的主人是{1}。", "{0}装置属于谁？"),
    ];

    internal static readonly string[] EnglishOnsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z"];
    internal static readonly string[] EnglishVowels = ["a", "e", "i", "o", "u"];

    // Characters used to transliterate foreign names; none of them forms a common word with its neighbours.
    internal const string ChineseSyllables = "阿巴卡达埃法加哈伊拉马纳奥帕萨塔乌瓦尔莫斯特维洛克尼恩托索库沃里贝多";

    public static IReadOnlyList<AttributeTemplate> For(string language) => language switch
    {
        "en" => English,
        "zh" => Chinese,
        _ => throw new EvalException($"synthetic world language: found '{language}'; expected 'en' or 'zh'"),
    };
}
