// A port of NLTK's NLTKWordTokenizer (nltk/tokenize/destructive.py, NLTK 3.8) — the tokenizer behind nltk.word_tokenize,
// which the CMRC 2018 script applies to the non-Chinese runs. The rules are the same regex substitutions in the same order.
using System.Text.RegularExpressions;

namespace RagTune.Eval.Metrics;

internal static class NltkWordTokenizer
{
    // Python's \w (str.isalnum or '_') and \s (str.isspace) spelled out: .NET's \w also matches combining marks, and its \s
    // lacks U+001C..U+001F.
    private const string W = @"[\p{L}\p{N}_]";
    private const string S = @"[\s\x1c-\x1f]";

    private static Regex R(string pattern) => new(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private static readonly (Regex Pattern, string Replacement)[] StartingQuotes =
    [
        (R("([«“‘„]|[`]+)"), " $1 "),
        (R("^\""), "``"),
        (R("(``)"), " $1 "),
        (R("([ \\(\\[{<])(\"|'{2})"), "$1 `` "),
        (R($"(?i)(')(?!re|ve|ll|m|t|s|d|n)({W})(?!{W})"), "$1 $2"),
    ];

    private static readonly (Regex Pattern, string Replacement)[] Punctuation =
    [
        (R($"([^\\.])(\\.)([\\]\\)}}>\"'»”’ ]*){S}*$"), "$1 $2 $3 "),
        (R("([:,])([^\\d])"), " $1 $2"),
        (R("([:,])$"), " $1 "),
        (R("\\.{2,}"), " $0 "),
        (R("[;@#$%&]"), " $0 "),
        (R($"([^\\.])(\\.)([\\]\\)}}>\"']*){S}*$"), "$1 $2$3 "), // the final period
        (R("[?!]"), " $0 "),
        (R("([^'])' "), "$1 ' "),
        (R("[*]"), " $0 "),
    ];

    private static readonly (Regex Pattern, string Replacement) ParensBrackets = (R("[\\]\\[\\(\\)\\{\\}\\<\\>]"), " $0 ");
    private static readonly (Regex Pattern, string Replacement) DoubleDashes = (R("--"), " -- ");

    private static readonly (Regex Pattern, string Replacement)[] EndingQuotes =
    [
        (R("([»”’])"), " $1 "),
        (R("''"), " '' "),
        (R("\""), " '' "),
        (R("([^' ])('[sS]|'[mM]|'[dD]|') "), "$1 $2 "),
        (R("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), "$1 $2 "),
    ];

    // MacIntyre's contractions (CONTRACTIONS2, CONTRACTIONS3), each replaced by " \1 \2 ".
    private static readonly Regex[] Contractions =
    [
        R($"(?i)(?<!{W})(can)(not)(?!{W})"),
        R($"(?i)(?<!{W})(d)('ye)(?!{W})"),
        R($"(?i)(?<!{W})(gim)(me)(?!{W})"),
        R($"(?i)(?<!{W})(gon)(na)(?!{W})"),
        R($"(?i)(?<!{W})(got)(ta)(?!{W})"),
        R($"(?i)(?<!{W})(lem)(me)(?!{W})"),
        R($"(?i)(?<!{W})(more)('n)(?!{W})"),
        R($"(?i)(?<!{W})(wan)(na)(?={S})"),
        R($"(?i) ('t)(is)(?!{W})"),
        R($"(?i) ('t)(was)(?!{W})"),
    ];

    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (p, r) in StartingQuotes) text = p.Replace(text, r);
        foreach (var (p, r) in Punctuation) text = p.Replace(text, r);
        text = ParensBrackets.Pattern.Replace(text, ParensBrackets.Replacement);
        text = DoubleDashes.Pattern.Replace(text, DoubleDashes.Replacement);
        text = " " + text + " ";
        foreach (var (p, r) in EndingQuotes) text = p.Replace(text, r);
        foreach (var p in Contractions) text = p.Replace(text, " $1 $2 ");
        return PyText.Split(text);
    }
}
