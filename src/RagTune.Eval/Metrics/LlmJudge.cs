// LLM-as-judge over any IChatClient: faithfulness to the context and relevance to the question, scored 1–5 from a
// required JSON reply, reasoning kept; a failed call becomes a verdict with an error (retries, concurrency and timeouts
// belong to the client's resilience step).
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace RagTune.Eval.Metrics;

/// <summary>A judge's verdict: the score (null on failure), its reasoning, the error if any, and the raw reply.</summary>
public sealed record JudgeVerdict(int? Score, string? Reasoning, string? Error = null, string? Raw = null);

public sealed partial class LlmJudge
{
    private readonly IChatClient _client;
    private readonly LlmJudgeOptions _options;

    public LlmJudge(IChatClient client, LlmJudgeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options ?? new LlmJudgeOptions();
        if (_options.MaxAttempts < 1) throw new EvalException($"judge MaxAttempts: found {_options.MaxAttempts}; expected at least 1");
        _client = client;
    }

    public Task<JudgeVerdict> JudgeFaithfulnessAsync(string question, string answer, IReadOnlyList<string> context,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        bool zh = JudgePrompts.UseChinese(_options.Language, question);
        var sb = new StringBuilder();
        for (int i = 0; i < context.Count; i++) sb.Append('[').Append(i + 1).Append("] ").Append(context[i]).Append('\n');
        var ctx = sb.Length > _options.MaxContextChars ? sb.ToString(0, _options.MaxContextChars) + "…" : sb.ToString();
        var prompt = JudgePrompts.Fill(zh ? JudgePrompts.FaithfulnessZh : JudgePrompts.FaithfulnessEn, question, answer, ctx);
        return AskAsync(zh, prompt, cancellationToken);
    }

    public Task<JudgeVerdict> JudgeRelevanceAsync(string question, string answer, CancellationToken cancellationToken = default)
    {
        bool zh = JudgePrompts.UseChinese(_options.Language, question);
        var prompt = JudgePrompts.Fill(zh ? JudgePrompts.RelevanceZh : JudgePrompts.RelevanceEn, question, answer, "");
        return AskAsync(zh, prompt, cancellationToken);
    }

    private async Task<JudgeVerdict> AskAsync(bool zh, string prompt, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.System, zh ? JudgePrompts.SystemZh : JudgePrompts.SystemEn),
            new(ChatRole.User, prompt),
        };
        JudgeVerdict verdict = new(null, null, "not attempted");
        for (int attempt = 0; attempt < _options.MaxAttempts && verdict.Score is null; attempt++)
        {
            try
            {
                var response = await _client.GetResponseAsync(messages, _options.ChatOptions?.Clone(), cancellationToken).ConfigureAwait(false);
                verdict = Parse(response.Text ?? "");
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new JudgeVerdict(null, null, $"judge call failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
        return verdict;
    }

    /// <summary>Reads {"score": 1–5, "reasoning": …} from a reply: code fences and text around the object are tolerated,
    /// the score may be a number or a numeric string; a reply without a parsable integer score in 1..5 is an error verdict.</summary>
    public static JudgeVerdict Parse(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        foreach (var candidate in JsonObjects(reply))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(candidate); }
            catch (JsonException) { continue; }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
                string? reasoning = null;
                double? score = null;
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    var key = p.Name.Trim().ToLowerInvariant();
                    if (key is "score" or "评分" or "分数" or "rating")
                        score = p.Value.ValueKind switch
                        {
                            JsonValueKind.Number => p.Value.GetDouble(),
                            JsonValueKind.String when double.TryParse(p.Value.GetString()!.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                            _ => null,
                        };
                    else if (key is "reasoning" or "reason" or "explanation" or "理由" or "解释")
                        reasoning = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText();
                }
                if (score is null) continue;
                return Checked(score.Value, reasoning, reply);
            }
        }
        // No usable JSON object (e.g. unescaped quotes in the reasoning): fall back to a "score": n pattern.
        var m = ScorePattern().Match(reply);
        if (m.Success && double.TryParse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
        {
            var r = ReasoningPattern().Match(reply);
            return Checked(s, r.Success ? r.Groups[1].Value : null, reply);
        }
        return new JudgeVerdict(null, null, "judge reply has no JSON object with a 'score'; expected {\"reasoning\": …, \"score\": 1-5}", reply);
    }

    private static JudgeVerdict Checked(double score, string? reasoning, string raw)
    {
        if (score < 1 || score > 5 || score != Math.Floor(score))
            return new JudgeVerdict(null, reasoning, $"judge score {score.ToString(CultureInfo.InvariantCulture)} is not an integer in 1..5", raw);
        return new JudgeVerdict((int)score, reasoning, null, raw);
    }

    // Balanced {...} substrings, outermost first, skipping braces inside JSON strings.
    private static IEnumerable<string> JsonObjects(string text)
    {
        for (int start = text.IndexOf('{'); start >= 0; start = text.IndexOf('{', start + 1))
        {
            int depth = 0;
            bool inString = false, escape = false;
            for (int i = start; i < text.Length; i++)
            {
                char c = text[i];
                if (inString)
                {
                    if (escape) escape = false;
                    else if (c == '\\') escape = true;
                    else if (c == '"') inString = false;
                    continue;
                }
                if (c == '"') inString = true;
                else if (c == '{') depth++;
                else if (c == '}' && --depth == 0)
                {
                    yield return text[start..(i + 1)];
                    break;
                }
            }
        }
    }

    [GeneratedRegex("[\"']?(?:score|评分|分数)[\"']?\\s*[:：=]\\s*[\"']?(-?\\d+(?:\\.\\d+)?)", RegexOptions.IgnoreCase)]
    private static partial Regex ScorePattern();

    [GeneratedRegex("[\"']?(?:reasoning|reason|理由)[\"']?\\s*[:：]\\s*\"(.*?)\"\\s*[,}]", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ReasoningPattern();
}
