#!/usr/bin/python3
# Trains two tiny SentencePiece Unigram models and writes the tokenizer.json files that transformers' slow→fast
# converter would write for them, plus golden ids from SentencePiece itself and from Hugging Face tokenizers.
# Run:
#   apt-get install -y python3-sentencepiece python3-protobuf
#   (cd /tmp/hftok && npm install tokenizers@0.23.2)      # Hugging Face tokenizers (Rust) through its npm binding
#   NODE_PATH=/tmp/hftok/node_modules /usr/bin/python3 tools/reference/make_unigram_tokenizers.py
#
# The tokenizer.json files transcribe transformers' convert_slow_tokenizer.py (no code copied, no transformers needed):
# - unigram-nfkc: XLMRobertaConverter as the published XLM-R / bge-m3 / bge-reranker tokenizer.json files have it —
#   fairseq ids (<s> <pad> </s> <unk> first, then the spm pieces from id 3 on, <mask> last, unk_id 3), normalizer
#   Sequence[Precompiled(nmt_nfkc charsmap), Replace(" {2,}" -> " ")], Metaspace (prepend "always"), TemplateProcessing
#   "<s> $A </s>" / "<s> $A </s> </s> $B </s>", Metaspace decoder.
# - unigram-bytes: today's SpmConverter with byte fallback — the spm pieces as they are, unk_id from the trainer spec,
#   normalizer Sequence[Precompiled(charsmap of a small user rule table), Strip(right), Replace(" {2,}" -> "▁")],
#   Metaspace (prepend "always"), control pieces as special added tokens, Unigram byte_fallback true.
# The precompiled charsmap is the model proto's normalizer_spec.precompiled_charsmap, base64 as tokenizers stores it.
#
# Output: tests/RagTune.Engine.Tests/TestData/tokenizers/unigram-{nfkc,bytes}/ with spm.model, tokenizer.json,
# tokenizer_config.json and golden.json: per text the spm ids (mapped to the tokenizer.json ids), Hugging Face's ids
# without and with special tokens, and pairs. The C# tests compare with Hugging Face's ids; where spm and Hugging Face
# disagree (Hugging Face keeps a trailing space as "▁" in the XLM-R layout; it normalizes grapheme by grapheme),
# golden.json says so per text ("spm_agrees").
import base64
import json
import os
import subprocess
import sys
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "tokenizers"))

CORPUS = """合同自双方签字之日起生效，有效期为三年。
本条例自公布之日起施行，由国务院负责解释。
当事人应当遵循诚实信用原则，全面履行自己的义务。
设备的额定电压为220伏，额定功率为1500瓦。
请在使用前仔细阅读本说明书，并妥善保管。
公司2024年第三季度营业收入为12.5亿元，同比增长8%。
借款人应于每月15日前偿还本金和利息。
知识库支持中文检索、向量检索和混合检索。
如果设备出现故障，请立即切断电源并联系售后服务。
股东大会决议须经出席会议的股东所持表决权过半数通过。
The quick brown fox jumps over the lazy dog.
RagTune turns a company's documents into a domain expert.
The knowledge base uses BM25 and dense vectors, fused by reciprocal rank fusion.
Please read the manual before using the device. The rated voltage is 220 V.
Revenue for Q3 2024 was $1.25 billion, up 8% year over year.
Section 3: the borrower shall repay principal and interest before the 15th of each month.
Search, rerank, answer: the model cites its sources (see [1], [2]).
Email support@example.com or call +86-10-1234-5678 for help!
Version 2.5.1 fixes bugs #42 and #57; upgrade now?
RagTune 支持 Qwen2.5 和 BGE-M3 模型，运行在纯 .NET 上。
第1条 本合同适用中华人民共和国法律。
价格为¥1,234.56元（含税）。
"""

# Rules for the byte-fallback model (SentencePiece's normalization_rule_tsv: source code points TAB target code points):
# full-width digits and letters, the ideographic space, a combining sequence, an expansion and a circled digit.
USER_RULES = ([("%04X" % (0xFF10 + d), "%04X" % (0x30 + d)) for d in range(10)]
              + [("%04X" % (0xFF21 + d), "%04X" % (0x41 + d)) for d in range(26)]
              + [("3000", "20"), ("FF0C", "2C"), ("FF1F", "3F"), ("0065 0301", "E9"), ("FB01", "66 69"), ("2460", "31"),
                 ("0009", "20"), ("000A", "20")])

TEXTS = [
    "", " ", "   ", "Hello world", "hello   world", "  leading spaces", "trailing spaces   ", "tab\tand\nnewline",
    "The quick brown fox jumps over the lazy dog.", "RagTune runs BERT in pure C#!", "don't stop", "e-mail: a.b@c.com",
    "合同的生效日期是什么？", "本条例自公布之日起施行。", "设备的额定电压为220伏。", "中华人民共和国", "当事人应当遵循诚实信用原则",
    "第三条\u3000当事人应当遵循诚实信用原则。", "RagTune支持中文检索", "Qwen2.5-0.5B模型", "价格：¥1,234.56元", "知识库 search 检索 BM25",
    "ＡＢＣ１２３", "１２３４５", "ｱｲｳｴｵ", "ﾊﾟﾝ", "ｶﾞｷﾞ", "①②③", "ﬁnance ﬂow", "™ ℃ №", "㍻", "Ⅻ", "x² + y³", "½ cup",
    "cafe\u0301", "\u212Bngstr\u00F6m", "no\u00A0break", "\u3000全角空格", "ｈｅｌｌｏ，ｗｏｒｌｄ？",
    "𠮷野家", "👍🏽 ok", "🙂🙂", "Ω≈ç√∫", "Привет мир", "العربية", "한국어", "日本語のテキスト",
    "2024-12-07 18:43:32", "3.14159", "100%", "(a+b)*c=d", "[1], [2]", "#42 #57", "a\u200bb", "soft\u00ADhyphen",
    "``quoted''", "C:\\path\\file.txt", "A" * 40, "答" * 12, "mixed 中文 and English 混合 text 123",
]

PAIRS = [("合同何时生效？", "合同自双方签字之日起生效。"), ("rated voltage", "The rated voltage is 220 V."),
         ("  spaces  ", "ＡＢＣ１２３")]


def train(prefix, **options):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(CORPUS * 3)
        corpus = f.name
    try:
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, model_type="unigram", num_threads=1,
                                       hard_vocab_limit=False, character_coverage=1.0, minloglevel=2, **options)
    finally:
        os.remove(corpus)
    proto = model_pb2.ModelProto()
    with open(prefix + ".model", "rb") as f:
        proto.ParseFromString(f.read())
    return proto


def added(i, content, special=True):
    return {"id": i, "content": content, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
            "special": special}


def metaspace():
    return {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}


def charsmap(proto):
    return base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode("ascii")


def xlmr_tokenizer_json(proto):
    """XLMRobertaConverter (the layout of the published xlm-roberta / bge tokenizer.json files)."""
    vocab = [["<s>", 0.0], ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0]]
    vocab += [[p.piece, p.score] for p in proto.pieces[3:]]
    vocab += [["<mask>", 0.0]]
    specials = {"<s>": 0, "</s>": 2}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"), added(3, "<unk>"), added(len(vocab) - 1, "<mask>")],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap(proto)},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": metaspace(),
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "special_tokens": {t: {"id": t, "ids": [i], "tokens": [t]} for t, i in specials.items()}},
        "decoder": metaspace(),
        "model": {"type": "Unigram", "unk_id": 3, "vocab": vocab, "byte_fallback": False},
    }


def xlmr_id(spm_id, proto):
    """The tokenizer.json id of an spm id in the XLM-R layout (fairseq's offset)."""
    return {0: 3, 1: 0, 2: 2}.get(spm_id, spm_id + 1)


def spm_tokenizer_json(proto):
    """SpmConverter with byte fallback: the spm pieces as they are; control pieces are special added tokens."""
    vocab = [[p.piece, p.score] for p in proto.pieces]
    controls = [added(i, p.piece) for i, p in enumerate(proto.pieces) if p.type == 3]
    bos, eos = proto.trainer_spec.bos_id, proto.trainer_spec.eos_id
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": controls,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap(proto)},
            {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}]},
        "pre_tokenizer": metaspace(),
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "</s>", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [bos], "tokens": ["<s>"]},
                                              "</s>": {"id": "</s>", "ids": [eos], "tokens": ["</s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "Unigram", "unk_id": proto.trainer_spec.unk_id, "vocab": vocab, "byte_fallback": True},
    }


def hugging_face(tokenizer_json, texts, pairs):
    request = json.dumps({"tokenizer": tokenizer_json, "texts": texts, "pairs": [list(p) for p in pairs]})
    out = subprocess.run(["node", os.path.join(HERE, "hf_tokenize.js")], input=request.encode("utf-8"),
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


def write_golden(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False)) for k, v in obj.items()) + "\n}\n")


def make(name, options, layout, map_id, config):
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    prefix = os.path.join(out, "spm")
    proto = train(prefix, **options)
    os.remove(prefix + ".vocab")
    tokenizer_json = os.path.join(out, "tokenizer.json")
    write_json(tokenizer_json, layout(proto))
    write_json(os.path.join(out, "tokenizer_config.json"), config)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    spm_ids = [[map_id(i, proto) for i in sp.encode(t)] for t in TEXTS]
    hf = hugging_face(tokenizer_json, TEXTS, PAIRS)
    agrees = [a == b for a, b in zip(spm_ids, hf["ids"])]
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_unigram_tokenizers.py: spm_ids from SentencePiece %s (mapped to "
                   "tokenizer.json ids), ids/ids_special/pair_ids from Hugging Face tokenizers 0.23.2" % spm.__version__,
        "texts": TEXTS, "spm_ids": spm_ids, "ids": hf["ids"], "spm_agrees": agrees, "ids_special": hf["ids_special"],
        "pairs": [list(p) for p in PAIRS], "pair_ids": hf["pair_ids"],
        "pair_type_ids": hf["pair_type_ids"]})
    differ = [t for t, a in zip(TEXTS, agrees) if not a]
    print("%-14s %d pieces, charsmap %d bytes; spm and Hugging Face differ on %d of %d texts: %r" % (
        name, len(proto.pieces), len(proto.normalizer_spec.precompiled_charsmap), len(differ), len(TEXTS), differ))
    return proto


def main():
    make("unigram-nfkc", {"vocab_size": 400}, xlmr_tokenizer_json, xlmr_id,
         {"tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
          "cls_token": "<s>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>", "model_max_length": 512})
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("".join("%s\t%s\n" % rule for rule in USER_RULES))
        rules = f.name
    try:
        make("unigram-bytes", {"vocab_size": 600, "byte_fallback": True, "normalization_rule_tsv": rules},
             spm_tokenizer_json, lambda i, proto: i,
             {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"})
    finally:
        os.remove(rules)


if __name__ == "__main__":
    sys.exit(main())
