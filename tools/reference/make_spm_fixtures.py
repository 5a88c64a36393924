#!/usr/bin/python3
# Trains tiny SentencePiece models (the tokenizer.model files that InternLM2-chat and LLaMA-2 checkpoints ship instead
# of a tokenizer.json) and writes golden ids and decodes from SentencePiece itself.
# Run:
#   apt-get install -y python3-sentencepiece
#   /usr/bin/python3 tools/reference/make_spm_fixtures.py
#
# Models (make_unigram_tokenizers.py's Chinese + English corpus):
# - spm-bpe: BPE the way LLaMA-2 / InternLM2 train theirs — identity normalizer, add_dummy_prefix, no whitespace
#   collapsing, byte fallback (<0x00>…<0xFF>), split digits, whitespace-only pieces, and InternLM2's chat markers as
#   user-defined pieces. 500 pieces, so it fits the tiny InternLM2 / LLaMA checkpoints (vocab_size 512). Beside it an
#   internlm2-chat style tokenizer_config.json (InternLM2Tokenizer, <s>/</s>, the chat markers as special added tokens,
#   the chat template) and, in golden.json's "chat", a rendered chat prompt with the ids the slow Hugging Face tokenizer
#   gives it (PreTrainedTokenizer.tokenize: split at the added tokens, sp.encode each text between them).
# - spm-bpe-nfkc: BPE with the trainer's defaults (nmt_nfkc precompiled charsmap, remove_extra_whitespaces), no byte
#   fallback (unknown characters become <unk>).
# - spm-unigram: Unigram with byte fallback and make_unigram_tokenizers.py's small user rule table as its charsmap (the
#   nmt_nfkc one is 240 KB and spm-bpe-nfkc already carries it), whitespace collapsed.
#
# Output: tests/RagTune.Engine.Tests/TestData/tokenizers/<name>/tokenizer.model and golden.json:
# {"texts": [...], "ids": [[...]] (SentencePieceProcessor.encode, no BOS), "decoded": [...] (decode of those ids),
#  "pieces": [...] (encode as pieces, for reading failures), "bos_id", "eos_id", "unk_id", "pad_id", "vocab_size"}.
import json
import os
import re
import sys
import tempfile

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_unigram_tokenizers import CORPUS, ROOT, TEXTS as UNIGRAM_TEXTS, USER_RULES  # noqa: E402

CHAT_MARKERS = ["<|im_start|>", "<|im_end|>"]
SPECIALS = ["<unk>", "<s>", "</s>"] + CHAT_MARKERS

# internlm2-chat-7b's tokenizer_config.json chat_template.
INTERNLM2_CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                           "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                           "{{ '<|im_start|>assistant\\n' }}{% endif %}")
CHAT_PROMPT = "<s><|im_start|>user\n合同何时生效？ RagTune<|im_end|>\n<|im_start|>assistant\n"

TEXTS = UNIGRAM_TEXTS + [
    "<|im_start|>user\n合同何时生效？<|im_end|>\n<|im_start|>assistant\n",
    "line one\nline two\r\n  indented\ttab", " leading and trailing ", "two  spaces and   three",
    "emoji 🤖🚀 and 中文 mixed: 设备🙂正常", "数字 1234567890 and 3.14", "ZWJ 👨‍👩‍👧 family", "\u2581 already a metaspace",
    "<0x41> is not a byte token", "<s> and </s> are text here", "合同自双方签字之日起生效，有效期为三年。",
]


def train(prefix, **options):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write(CORPUS * 3)
        corpus = f.name
    try:
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=prefix, num_threads=1, character_coverage=1.0,
                                       minloglevel=2, **options)
    finally:
        os.remove(corpus)
    return spm.SentencePieceProcessor(model_file=prefix + ".model")


def slow_ids(sp, text):
    """transformers' PreTrainedTokenizer.tokenize + convert_tokens_to_ids over InternLM2Tokenizer (add_special_tokens=False)."""
    ids = []
    for part in re.split("(" + "|".join(re.escape(t) for t in sorted(SPECIALS, key=len, reverse=True)) + ")", text):
        if part in SPECIALS:
            ids.append(sp.piece_to_id(part))
        elif part:
            ids += sp.encode(part)
    return ids


def internlm2_config(out, sp):
    decoder = {str(sp.piece_to_id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                         "single_word": False, "special": True} for t in SPECIALS}
    config = {"add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": decoder, "bos_token": "<s>",
              "chat_template": INTERNLM2_CHAT_TEMPLATE, "clean_up_tokenization_spaces": False, "eos_token": "</s>",
              "model_max_length": 1000000000000000019884624838656, "pad_token": "</s>",
              "tokenizer_class": "InternLM2Tokenizer", "unk_token": "<unk>"}
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")


def make(name, chat=False, **options):
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    sp = train(os.path.join(out, "tokenizer"), **options)
    os.remove(os.path.join(out, "tokenizer.vocab"))
    ids = [sp.encode(t) for t in TEXTS]
    golden = {
        "texts": TEXTS, "ids": ids, "decoded": [sp.decode(i) for i in ids],
        "pieces": [sp.encode(t, out_type=str) for t in TEXTS],
        "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(), "pad_id": sp.pad_id(),
        "vocab_size": sp.get_piece_size(),
    }
    if chat:
        internlm2_config(out, sp)
        golden["chat"] = {"prompt": CHAT_PROMPT, "ids": slow_ids(sp, CHAT_PROMPT)}
    with open(os.path.join(out, "golden.json"), "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(name, sp.get_piece_size(), "pieces")


def main():
    make("spm-bpe", model_type="bpe", vocab_size=500, byte_fallback=True, normalization_rule_name="identity",
         add_dummy_prefix=True, remove_extra_whitespaces=False, split_digits=True, allow_whitespace_only_pieces=True,
         user_defined_symbols=CHAT_MARKERS, chat=True)
    make("spm-bpe-nfkc", model_type="bpe", vocab_size=400)
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False, encoding="utf-8") as f:
        f.writelines(f"{source}\t{target}\n" for source, target in USER_RULES)
        rules = f.name
    try:
        make("spm-unigram", model_type="unigram", vocab_size=600, byte_fallback=True, hard_vocab_limit=False,
             normalization_rule_tsv=rules)
    finally:
        os.remove(rules)


if __name__ == "__main__":
    main()
