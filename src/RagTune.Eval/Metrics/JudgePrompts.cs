// The LLM-as-judge prompts (Chinese and English): faithfulness to the retrieved context and relevance to the question,
// each demanding a JSON reply {"reasoning": …, "score": 1–5} with the reasoning first so the score follows from it.
namespace RagTune.Eval.Metrics;

public enum JudgeLanguage { Auto, English, Chinese }

public static class JudgePrompts
{
    public const string SystemEn =
        "You are a strict, impartial evaluator of answers produced by a question-answering system. " +
        "Reply with one JSON object only, no other text: {\"reasoning\": \"<two or three sentences>\", \"score\": <integer 1-5>}.";

    public const string SystemZh =
        "你是一名严格、公正的问答系统评测员。只回复一个 JSON 对象，不要输出其他任何文字：" +
        "{\"reasoning\": \"<两三句理由>\", \"score\": <1 到 5 的整数>}。";

    public const string FaithfulnessEn =
        "Rate how FAITHFUL the answer is to the context: every claim in the answer must be supported by the context.\n" +
        "5 = every claim is stated in or directly follows from the context; 4 = all essential claims are supported, a minor detail is not;\n" +
        "3 = partly supported, partly unsupported; 2 = mostly unsupported; 1 = contradicts the context or is invented.\n" +
        "Judge support only, not whether the answer is complete. An answer that says the context does not contain the information is faithful when that is true.\n\n" +
        "Context:\n{context}\n\nQuestion:\n{question}\n\nAnswer:\n{answer}\n\n" +
        "Reply with JSON only: {\"reasoning\": \"...\", \"score\": 1-5}";

    public const string FaithfulnessZh =
        "请评估回答对参考资料的**忠实度**：回答中的每一条陈述都必须能在参考资料中找到依据。\n" +
        "5 = 所有陈述都在资料中明确出现或可直接推出；4 = 关键陈述都有依据，个别细节没有；\n" +
        "3 = 部分有依据、部分没有；2 = 大部分没有依据；1 = 与资料矛盾或凭空编造。\n" +
        "只评判是否有依据，不评判是否完整。若资料确实不含所需信息而回答如实说明，也算忠实。\n\n" +
        "参考资料：\n{context}\n\n问题：\n{question}\n\n回答：\n{answer}\n\n" +
        "只用 JSON 回复：{\"reasoning\": \"...\", \"score\": 1-5}";

    public const string RelevanceEn =
        "Rate how RELEVANT the answer is to the question: does it directly address what was asked?\n" +
        "5 = answers exactly what was asked, concisely; 4 = answers it with some unnecessary content; 3 = partly answers it;\n" +
        "2 = mostly off-topic or evasive; 1 = does not address the question at all.\n" +
        "Judge relevance only, not factual correctness.\n\n" +
        "Question:\n{question}\n\nAnswer:\n{answer}\n\n" +
        "Reply with JSON only: {\"reasoning\": \"...\", \"score\": 1-5}";

    public const string RelevanceZh =
        "请评估回答与问题的**相关性**：回答是否直接回应了所问的内容？\n" +
        "5 = 准确、简洁地回答了所问内容；4 = 回答了问题但有多余内容；3 = 只回答了一部分；\n" +
        "2 = 大部分答非所问或回避问题；1 = 完全没有回应问题。\n" +
        "只评判相关性，不评判事实是否正确。\n\n" +
        "问题：\n{question}\n\n回答：\n{answer}\n\n" +
        "只用 JSON 回复：{\"reasoning\": \"...\", \"score\": 1-5}";

    public static bool UseChinese(JudgeLanguage language, string question) =>
        language == JudgeLanguage.Chinese || (language == JudgeLanguage.Auto && PyText.ContainsCjk(question));

    // Placeholders are replaced in one pass so an answer containing "{context}" is not expanded.
    internal static string Fill(string template, string question, string answer, string context) =>
        System.Text.RegularExpressions.Regex.Replace(template, @"\{(question|answer|context)\}", m => m.Groups[1].Value switch
        {
            "question" => question,
            "answer" => answer,
            _ => context,
        });
}
