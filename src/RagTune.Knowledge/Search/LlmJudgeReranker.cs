// Reranker that asks a chat model for a 0–10 relevance grade per (query, passage), in the query's language.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RagTune.Knowledge.Search;

/// <summary>
/// Every hit is judged independently (bounded concurrency), hits are ordered by grade and ties keep their fused order;
/// the grade becomes the hit's score. If any judgement fails (an exception, or a reply without a grade in 0–10) the
/// fused order is returned unchanged and a warning is logged: a half-judged list would mix two incomparable scales.
/// Cancellation is not a failure and propagates.
/// </summary>
public sealed partial class LlmJudgeReranker : IReranker
{
    private const string EnglishSystem =
        "You are a strict relevance judge for a search engine. Grade how relevant the passage is to the query on an integer " +
        "scale from 0 (unrelated) to 10 (directly and completely answers the query). Judge only the passage's content; do " +
        "not use outside knowledge. Reply with the number only.";
    private const string ChineseSystem =
        "你是搜索引擎的严格相关性评审。请判断段落与查询的相关程度，按 0（完全无关）到 10（直接且完整地回答了查询）的整数打分。" +
        "只根据段落内容判断，不要使用外部知识。只回复这个数字。";

    private readonly IChatClient _chat;
    private readonly LlmJudgeRerankerOptions _options;
    private readonly ILogger _logger;

    public LlmJudgeReranker(IChatClient chatClient, LlmJudgeRerankerOptions? options = null)
    {
        _chat = chatClient ?? throw new ArgumentNullException(nameof(chatClient));
        _options = options ?? new LlmJudgeRerankerOptions();
        if (_options.MaxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxConcurrency, "MaxConcurrency: expected ≥ 1");
        if (_options.MaxPassageCharacters < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxPassageCharacters, "MaxPassageCharacters: expected ≥ 1");
        _logger = _options.Logger ?? NullLogger.Instance;
    }

    public async Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(hits);
        if (hits.Count == 0) return hits;
        var grades = new double[hits.Count];
        try
        {
            await Parallel.ForAsync(0, hits.Count,
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (i, ct) => grades[i] = await JudgeAsync(query, hits[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "LLM-judge reranking failed for query \"{Query}\"; keeping the fused order of {Count} hits.", query, hits.Count);
            return hits;
        }
        return Enumerable.Range(0, hits.Count)
            .OrderByDescending(i => grades[i]).ThenBy(i => i)
            .Select(i => hits[i] with { Score = grades[i] })
            .ToList();
    }

    private async Task<double> JudgeAsync(string query, SearchHit hit, CancellationToken cancellationToken)
    {
        string? passage = _options.PassageText is { } resolve
            ? await resolve(hit, cancellationToken).ConfigureAwait(false)
            : hit.PassageText;
        if (passage is null)
            throw new KnowledgeException($"reranker: hit '{hit.Id}' has no passage text (SearchHit.Text or metadata 'text'), expected the text to judge.");
        if (passage.Length > _options.MaxPassageCharacters) passage = passage[.._options.MaxPassageCharacters];

        var messages = BuildPrompt(query, passage);
        var chatOptions = _options.ChatOptions?.Clone() ?? new ChatOptions { Temperature = 0f };
        var response = await _chat.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        return ParseGrade(response.Text)
            ?? throw new KnowledgeException($"reranker: judge reply for hit '{hit.Id}' is \"{Truncate(response.Text, 80)}\", expected a number from 0 to 10.");
    }

    internal static List<ChatMessage> BuildPrompt(string query, string passage)
    {
        bool chinese = IsMostlyCjk(query);
        string user = chinese
            ? $"查询：{query}\n\n段落：{passage}\n\n相关性分数（0-10）："
            : $"Query: {query}\n\nPassage: {passage}\n\nRelevance grade (0-10):";
        return [new ChatMessage(ChatRole.System, chinese ? ChineseSystem : EnglishSystem), new ChatMessage(ChatRole.User, user)];
    }

    /// <summary>True when Han/kana/hangul letters outnumber other letters — the prompt then goes in Chinese.</summary>
    internal static bool IsMostlyCjk(string text)
    {
        int cjk = 0, other = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!Rune.IsLetter(rune)) continue;
            int v = rune.Value;
            bool isCjk = v is >= 0x3040 and <= 0x30FF or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF
                or >= 0xAC00 and <= 0xD7AF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3134F;
            if (isCjk) cjk++; else other++;
        }
        return cjk > 0 && cjk >= other;
    }

    /// <summary>
    /// The grade in a judge's reply, or null. Reasoning blocks (&lt;think&gt;…&lt;/think&gt;) are dropped, full-width digits
    /// folded, and a restated scale ("0-10", "0 到 10") ignored. An explicit form ("7/10", "7 out of 10", "7分",
    /// "score: 7", "分数：7") wins; otherwise the first number in the reply. Outside 0–10 → null.
    /// </summary>
    internal static double? ParseGrade(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        string text = ModelReply.StripReasoning(reply);
        text = FoldFullWidth(text);
        text = ScaleMention().Replace(text, " ");
        var explicitMatch = ExplicitGrade().Match(text);
        string? number = explicitMatch.Success
            ? explicitMatch.Groups["n"].Success ? explicitMatch.Groups["n"].Value : explicitMatch.Groups["m"].Value
            : AnyNumber().Match(text) is { Success: true } any ? any.Value : null;
        if (number is null || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double grade)) return null;
        return grade is >= 0 and <= 10 ? grade : null;
    }

    private static string FoldFullWidth(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            sb.Append(c switch
            {
                >= '０' and <= '９' => (char)('0' + (c - '０')),
                '．' => '.',
                '／' => '/',
                '：' => ':',
                _ => c,
            });
        }
        return sb.ToString();
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : s[..n] + "…";

    [GeneratedRegex(@"\(?\b0\s*(?:-|–|~|to|到|至)\s*10\b\)?", RegexOptions.IgnoreCase)]
    private static partial Regex ScaleMention();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)\s*(?:/\s*10\b|out\s+of\s+10\b|分)|(?:score|grade|rating|relevance|分数|评分|得分)\s*[:=]?\s*(?<m>\d+(?:\.\d+)?)", RegexOptions.IgnoreCase)]
    private static partial Regex ExplicitGrade();

    [GeneratedRegex(@"\d+(?:\.\d+)?")]
    private static partial Regex AnyNumber();
}
