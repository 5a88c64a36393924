#!/usr/bin/env python3
# Golden values for RagTune.Eval's answer metrics: the official SQuAD v1.1 and CMRC 2018 evaluation functions, transcribed,
# run on hand-written cases and real CMRC 2018 questions; writes tests/RagTune.Eval.Tests/TestData/eval_golden.json.
# Needs NLTK (apt-get install python3-nltk). Run: /usr/bin/python3 tools/reference/eval_golden.py
import json
import os
import re
import string
from collections import Counter

from nltk.tokenize import NLTKWordTokenizer

# ---------------------------------------------------------------------------------------------
# SQuAD v1.1 (evaluate-v1.1.py), verbatim.
# ---------------------------------------------------------------------------------------------
def normalize_answer(s):
    """Lower text and remove punctuation, articles and extra whitespace."""
    def remove_articles(text):
        return re.sub(r'\b(a|an|the)\b', ' ', text)

    def white_space_fix(text):
        return ' '.join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return ''.join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def f1_score(prediction, ground_truth):
    prediction_tokens = normalize_answer(prediction).split()
    ground_truth_tokens = normalize_answer(ground_truth).split()
    common = Counter(prediction_tokens) & Counter(ground_truth_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction_tokens)
    recall = 1.0 * num_same / len(ground_truth_tokens)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def exact_match_score(prediction, ground_truth):
    return (normalize_answer(prediction) == normalize_answer(ground_truth))


def metric_max_over_ground_truths(metric_fn, prediction, ground_truths):
    scores_for_ground_truths = []
    for ground_truth in ground_truths:
        score = metric_fn(prediction, ground_truth)
        scores_for_ground_truths.append(score)
    return max(scores_for_ground_truths)


# ---------------------------------------------------------------------------------------------
# CMRC 2018 (cmrc2018_evaluate.py), verbatim; nltk.word_tokenize without the punkt sentence split (see word_tokenize).
# ---------------------------------------------------------------------------------------------
# nltk.word_tokenize(text) = NLTKWordTokenizer().tokenize(s) for each punkt sentence s of text. The punkt model is data
# that is not installed here (and not available to .NET); the runs this script tokenises are answer fragments, so each run
# is tokenised as one sentence. NLTK comes from Debian's python3-nltk (3.8).
word_tokenize = NLTKWordTokenizer().tokenize


# split Chinese with English
def mixed_segmentation(in_str, rm_punc=False):
    in_str = str(in_str).lower().strip()
    segs_out = []
    temp_str = ""
    sp_char = ['-', ':', '_', '*', '^', '/', '\\', '~', '`', '+', '=',
               '，', '。', '：', '？', '！', '“', '”', '；', '’', '《', '》', '……', '·', '、',
               '「', '」', '（', '）', '－', '～', '『', '』']
    for char in in_str:
        if rm_punc and char in sp_char:
            continue
        if re.search(r'[\u4e00-\u9fa5]', char) or char in sp_char:
            if temp_str != "":
                ss = word_tokenize(temp_str)
                segs_out.extend(ss)
                temp_str = ""
            segs_out.append(char)
        else:
            temp_str += char

    # handling last part
    if temp_str != "":
        ss = word_tokenize(temp_str)
        segs_out.extend(ss)

    return segs_out


# remove punctuation
def remove_punctuation(in_str):
    in_str = str(in_str).lower().strip()
    sp_char = ['-', ':', '_', '*', '^', '/', '\\', '~', '`', '+', '=',
               '，', '。', '：', '？', '！', '“', '”', '；', '’', '《', '》', '……', '·', '、',
               '「', '」', '（', '）', '－', '～', '『', '』']
    out_segs = []
    for char in in_str:
        if char in sp_char:
            continue
        else:
            out_segs.append(char)
    return ''.join(out_segs)


# find longest common string
def find_lcs(s1, s2):
    m = [[0 for i in range(len(s2) + 1)] for j in range(len(s1) + 1)]
    mmax = 0
    p = 0
    for i in range(len(s1)):
        for j in range(len(s2)):
            if s1[i] == s2[j]:
                m[i + 1][j + 1] = m[i][j] + 1
                if m[i + 1][j + 1] > mmax:
                    mmax = m[i + 1][j + 1]
                    p = i + 1
    return s1[p - mmax:p], mmax


def calc_f1_score(answers, prediction):
    f1_scores = []
    for ans in answers:
        ans_segs = mixed_segmentation(ans, rm_punc=True)
        prediction_segs = mixed_segmentation(prediction, rm_punc=True)
        lcs, lcs_len = find_lcs(ans_segs, prediction_segs)
        if lcs_len == 0:
            f1_scores.append(0)
            continue
        precision = 1.0 * lcs_len / len(prediction_segs)
        recall = 1.0 * lcs_len / len(ans_segs)
        f1 = (2 * precision * recall) / (precision + recall)
        f1_scores.append(f1)
    return max(f1_scores)


def calc_em_score(answers, prediction):
    em = 0
    for ans in answers:
        ans_ = remove_punctuation(ans)
        prediction_ = remove_punctuation(prediction)
        if ans_ == prediction_:
            em = 1
            break
    return em


# ---------------------------------------------------------------------------------------------
# ROUGE-L as RagTune defines it (docs/metrics.md): tokens are lower-cased alphanumeric runs, every CJK ideograph
# (U+4E00..U+9FFF, U+3400..U+4DBF) on its own; everything else separates tokens. F = (1+b^2) P R / (R + b^2 P), b = 1.
# ---------------------------------------------------------------------------------------------
def rouge_tokens(text):
    out, cur = [], []
    for ch in text.lower():
        if '\u4e00' <= ch <= '\u9fff' or '\u3400' <= ch <= '\u4dbf':
            if cur:
                out.append(''.join(cur)); cur = []
            out.append(ch)
        elif ch.isalnum():
            cur.append(ch)
        else:
            if cur:
                out.append(''.join(cur)); cur = []
    if cur:
        out.append(''.join(cur))
    return out


def lcs_length(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            cur[j + 1] = prev[j] + 1 if x == y else max(prev[j + 1], cur[j])
        prev = cur
    return prev[len(b)]


def rouge_l(prediction, references, beta=1.0):
    best = 0.0
    p_tok = rouge_tokens(prediction)
    for ref in references:
        r_tok = rouge_tokens(ref)
        lcs = lcs_length(p_tok, r_tok)
        if lcs == 0:
            continue
        p = lcs / len(p_tok)
        r = lcs / len(r_tok)
        best = max(best, (1 + beta * beta) * p * r / (r + beta * beta * p))
    return best


CASES = [
    # English, SQuAD style
    ("Denver Broncos", ["Denver Broncos"]),
    ("the Denver Broncos", ["Denver Broncos"]),
    ("Denver Broncos!", ["denver broncos"]),
    ("Broncos", ["Denver Broncos"]),
    ("Carolina Panthers", ["Denver Broncos"]),
    ("The Broncos of Denver", ["Denver Broncos", "the Broncos"]),
    ("an apple a day", ["apple"]),
    ("A  cat   sat\ton the mat.", ["the cat sat on a mat"]),
    ("Santa Clara, California", ["Santa Clara, California", "Levi's Stadium", "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."]),
    ("Levi's Stadium", ["Levis Stadium"]),
    ("the the the", ["the"]),
    ("theatre", ["the atre"]),
    ("1,000 people", ["1000 people"]),
    ("3.14", ["3.14"]),
    ("pi is 3.14", ["3.14"]),
    ("New York New York", ["New York"]),
    ("York New", ["New York"]),
    ("", ["Denver Broncos"]),
    ("", [""]),
    ("Denver", [""]),
    ("...", ["!!!"]),
    ("?!", ["Denver"]),
    ("state-of-the-art", ["state of the art"]),
    ("U.S. Army", ["US Army"]),
    ("Ann-Margret's role", ["Ann Margret role"]),
    ("Answer: Paris", ["Paris", "paris, france", "the city of Paris"]),
    ("ÉCOLE normale", ["école Normale"]),
    ("don't stop", ["do not stop"]),
    ("x^2 + y^2 = z^2", ["x2 y2 z2"]),
    ("  leading and trailing  ", ["leading and trailing"]),
    ("Theirs is an answer", ["theirs answer"]),
    ("The quick brown fox jumps over the lazy dog", ["quick brown dog", "lazy fox"]),
    ("cat cat dog", ["cat dog dog"]),
    # Chinese, CMRC style
    ("踢爆", ["踢爆"]),
    ("4分钟", ["4分钟"]),
    ("四分钟", ["4分钟"]),
    ("泰国国家铁路局", ["泰国国家铁路局"]),
    ("由泰国国家铁路局", ["泰国国家铁路局"]),
    ("法国", ["法国", "法兰西共和国"]),
    ("法兰西", ["法国", "法兰西共和国"]),
    ("日本战国时代至安土桃山时代。", ["日本战国时代至安土桃山时代"]),
    ("日本战国时代", ["日本战国时代至安土桃山时代"]),
    ("永禄5年（1562年）", ["永禄5年 （1562年）"]),
    ("1562年", ["永禄5年 （1562年）"]),
    ("《三国演义》", ["三国演义"]),
    ("“三国”：演义！", ["三国演义"]),
    ("北京，上海", ["北京、上海"]),
    ("北京上海广州", ["上海北京"]),
    ("他是……作家", ["他是作家"]),
    ("让-皮埃尔·巴利冈", ["让皮埃尔巴利冈"]),
    ("", ["国民议会议员"]),
    ("，。！", ["国民议会议员"]),
    ("，。！", ["：？"]),
    ("国民议会议员", ["国民议会议员", "议员", "法国国民议会的议员"]),
    # mixed Chinese and English
    ("iPhone 15 发布于2023年", ["iPhone 15于2023年发布"]),
    ("使用Python 3.11编写", ["Python 3.11"]),
    ("RAFT方法 (Retrieval Augmented Fine Tuning)", ["RAFT方法"]),
    ("GPT-4是OpenAI的模型", ["gpt4是openai的模型"]),
    ("温度为25.5°C", ["25.5°C"]),
    ("Hello世界, hello World", ["hello 世界"]),
    ("答案是A", ["A"]),
    ("张三's book", ["张三的book"]),
    ("版本v2.0.1", ["v2.0.1"]),
    ("COVID-19疫情", ["新冠疫情", "COVID-19"]),
    # NLTK tokenizer rules inside CMRC segmentation (quotes, contractions, symbols that stay attached)
    ('他说"hello"以后', ["hello"]),
    ("笔名S.G. Tallentyre写作", ["S.G. Tallentyre"]),
    ("高50％以上", ["50％"]),
    ("4×50米自由式", ["4×50米"]),
    ('北纬23°26′31"', ['23°26′31"']),
    ("I cannot go, gonna stay", ["can not go"]),
    ("Wait... what?!", ["wait what"]),
    ("价格$3.88 (roughly 3,36 euros)", ["3.88"]),
    ("can't won't they'll", ["can not"]),
]

# Raw strings for the tokenizer alone (no lower-casing), covering each NLTKWordTokenizer rule.
TOKENIZER_CASES = [
    "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.",
    'He said "hello" to me.',
    '"Quoted" at the start',
    "x ''y'' z",
    "I cannot go, I'm gonna stay; gimme that, lemme see, gotta go, wanna try",
    "'Tis the season and 'twas the night",
    "They'll say we're sure I'd go, it's John's; CAN'T WON'T THEY'LL",
    "«Bonjour» ‘hi’ “yo” „da“",
    "Wait... what?! Really?",
    "e.g. this. And U.S.A.",
    "rock--paper--scissors",
    "a:b, c:1, 10:30, end:",
    "@user #tag 50% & more* $5",
    "(a) [b] {c} <d>",
    "the ``book'' here",
    "D'ye see more'n that?",
    "He's 'quoted' text and 'em",
    "Mr. Smith's car.",
    "1,000.50 and 3.14",
    "don't-care",
    "it's over.\"",
    "ends with a period )",
    "tab\tseparated\x1ctext",
    "ma'am o'clock rock'n'roll",
    "S.G. Tallentyre",
    "50％ 4×50 23°26′31\"",
    "",
    "   ",
]



def cmrc_trial_cases(here):
    """Real CMRC 2018 trial questions (TestData/cmrc2018_trial_sample.json, CC BY-SA 4.0): for each, the gold answer,
    the answer inside a window of up to 8 characters of its passage on each side, and the answer's first half."""
    path = os.path.join(here, "..", "..", "tests", "RagTune.Eval.Tests", "TestData", "cmrc2018_trial_sample.json")
    with open(path, encoding="utf-8") as f:
        passages = json.load(f)
    cases = []
    for p in passages:
        text = p["context_text"]
        for qa in p["qas"]:
            refs = qa["answers"]
            gold = refs[0]
            at = text.find(gold)
            window = text[max(0, at - 8):at + len(gold) + 8] if at >= 0 else gold + "。"
            cases.append((gold, refs))
            cases.append((window, refs))
            cases.append((gold[:(len(gold) + 1) // 2], refs))
    return cases


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    for source, cases in (("hand", CASES), ("cmrc2018_trial", cmrc_trial_cases(here))):
        for pred, refs in cases:
            out.append({
                "source": source,
                "prediction": pred,
                "references": refs,
                "squad_em": float(metric_max_over_ground_truths(exact_match_score, pred, refs)),
                "squad_f1": float(metric_max_over_ground_truths(f1_score, pred, refs)),
                "squad_normalized": normalize_answer(pred),
                "cmrc_em": float(calc_em_score(refs, pred)),
                "cmrc_f1": float(calc_f1_score(refs, pred)),
                "cmrc_segments": mixed_segmentation(pred, rm_punc=True),
                "cmrc_segments_with_punct": mixed_segmentation(pred, rm_punc=False),
                "rouge_l": rouge_l(pred, refs),
            })
    path = os.path.join(here, "..", "..", "tests", "RagTune.Eval.Tests", "TestData", "eval_golden.json")
    tokenizer = [{"text": t, "tokens": word_tokenize(t)} for t in TOKENIZER_CASES]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": "tools/reference/eval_golden.py", "cases": out, "tokenizer_cases": tokenizer}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(out)} cases to {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
