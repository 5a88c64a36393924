#!/usr/bin/python3
# Builds the two XLM-R checkpoints whose tokenizer is a SentencePiece Unigram model, as bge-reranker-base /
# bge-reranker-v2-m3 and bge-m3 are: a cross-encoder (XLMRobertaForSequenceClassification, one label) and an embedder
# (XLMRobertaModel, sentence-transformers CLS pooling + Normalize), random weights, with golden scores and embeddings.
# Run (see make_unigram_tokenizers.py for the SentencePiece and Hugging Face tokenizers setup):
#   NODE_PATH=/tmp/hftok/node_modules /usr/bin/python3 tools/reference/make_xlmr_unigram_models.py
#
# The tokenizer: an spm Unigram model trained on make_unigram_tokenizers.py's corpus with its small user rule table (so
# the fixtures stay small; the real nmt_nfkc charsmap is tested by the unigram-nfkc tokenizer fixture), written in the
# XLM-R layout (fairseq ids, <s> A </s></s> B </s>). Ids come from SentencePiece with XLMRobertaTokenizer's id mapping
# and are checked equal to Hugging Face tokenizers' ids for the same tokenizer.json. The forwards are
# make_tiny_models.py's transcription of modeling_xlm_roberta.py (positions from padding_idx + 1 = 2) and
# make_tiny_rerankers.py's XLMRobertaClassificationHead.
#
# Output: tests/RagTune.Engine.Tests/TestData/models/xlmr-unigram-reranker/ and xlmr-unigram-cls/.
import os
import sys
import tempfile

import sentencepiece as spm
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_tiny_models import (ROOT, encoder_forward, encoder_weights, f32_list, pool, save_checkpoint,  # noqa: E402
                              write_golden, write_json)
from make_tiny_rerankers import classify, clean, encoder_cfg  # noqa: E402
from make_unigram_tokenizers import USER_RULES, hugging_face, train, xlmr_id, xlmr_tokenizer_json  # noqa: E402

PAIRS = [
    ("合同何时生效？", "合同自双方签字之日起生效，有效期为三年。"),
    ("合同何时生效？", "设备的额定电压为220伏，额定功率为1500瓦。"),
    ("what is the rated voltage", "Please read the manual before using the device. The rated voltage is 220 V."),
    ("知识库支持哪些检索", "知识库支持中文检索、向量检索和混合检索。"),
    ("ＢＭ２５ ranking", "The knowledge base uses BM25 and dense vectors 🙂"),
]

TEXTS = ["合同自双方签字之日起生效。", "The rated voltage is 220 V.", "知识库 search 检索 BM25", "ＡＢＣ１２３ 🙂"]


def tokenizer(out):
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        f.write("".join("%s\t%s\n" % rule for rule in USER_RULES))
        rules = f.name
    with tempfile.TemporaryDirectory() as tmp:
        try:
            proto = train(os.path.join(tmp, "spm"), vocab_size=400, normalization_rule_tsv=rules)
        finally:
            os.remove(rules)
        sp = spm.SentencePieceProcessor(model_file=os.path.join(tmp, "spm.model"))
    j = xlmr_tokenizer_json(proto)
    write_json(os.path.join(out, "tokenizer.json"), j)
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>", "model_max_length": 128})
    return len(j["model"]["vocab"]), lambda text: [xlmr_id(i, proto) for i in sp.encode(text)]


def make_reranker(name, seed):
    out = os.path.join(ROOT, name)
    clean(out)
    V, encode = tokenizer(out)
    cfg = encoder_cfg("XLMRobertaForSequenceClassification", "xlm-roberta", V, 1, 130)
    g = torch.Generator().manual_seed(seed)
    C = cfg["hidden_size"]
    w = encoder_weights(cfg, g)
    del w["pooler.dense.weight"], w["pooler.dense.bias"]  # add_pooling_layer=False
    w["classifier.dense.weight"] = torch.randn(C, C, generator=g) * 0.3
    w["classifier.dense.bias"] = torch.randn(C, generator=g) * 0.1
    w["classifier.out_proj.weight"] = torch.randn(1, C, generator=g) * 0.5
    w["classifier.out_proj.bias"] = torch.randn(1, generator=g) * 0.1
    save_checkpoint(out, {(k if k.startswith("classifier.") else "roberta." + k): v for k, v in w.items()}, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)

    ids = [[0] + encode(q) + [2, 2] + encode(p) + [2] for q, p in PAIRS]  # XLMRobertaTokenizer's pair layout
    hf = hugging_face(os.path.join(out, "tokenizer.json"), [], PAIRS)
    assert hf["pair_ids"] == ids, (hf["pair_ids"], ids)
    types = [[0] * len(s) for s in ids]
    T = max(len(s) for s in ids)
    batch = torch.tensor([s + [1] * (T - len(s)) for s in ids])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in ids])
    logits = classify(cfg, w, batch, mask, torch.zeros_like(batch))[:, 0]
    for i, s in enumerate(ids):
        alone = classify(cfg, w, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long), torch.zeros(1, len(s), dtype=torch.long))[0, 0]
        assert abs(float(alone - logits[i])) < 1e-5, name
    scores = torch.sigmoid(logits)
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_xlmr_unigram_models.py (seed %d); ids from SentencePiece = Hugging Face "
                   "tokenizers; fp32 PyTorch, one padded batch" % seed,
        "pairs": [list(p) for p in PAIRS], "input_ids": ids, "token_type_ids": types,
        "logits": f32_list(logits), "scores": f32_list(scores)})
    print("%-22s seed %d vocab %d scores %s" % (name, seed, V, [round(float(s), 4) for s in scores]))


def make_embedder(name, seed):
    out = os.path.join(ROOT, name)
    clean(out)
    V, encode = tokenizer(out)
    cfg = encoder_cfg("XLMRobertaModel", "xlm-roberta", V, 1, 130)
    del cfg["id2label"], cfg["label2id"]
    w = encoder_weights(cfg, torch.Generator().manual_seed(seed))
    save_checkpoint(out, w, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)
    write_json(os.path.join(out, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    write_json(os.path.join(out, "1_Pooling", "config.json"), {
        "word_embedding_dimension": cfg["hidden_size"], "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True})

    ids = [[0] + encode(t) + [2] for t in TEXTS]
    hf = hugging_face(os.path.join(out, "tokenizer.json"), TEXTS, [])
    assert hf["ids_special"] == ids, (hf["ids_special"], ids)
    T = max(len(s) for s in ids)
    batch = torch.tensor([s + [1] * (T - len(s)) for s in ids])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in ids])
    hidden = encoder_forward(cfg, w, batch, mask)
    emb = pool(hidden, mask, "cls", True)
    for b, s in enumerate(ids):
        alone = pool(encoder_forward(cfg, w, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long)),
                     torch.ones(1, len(s), dtype=torch.long), "cls", True)[0]
        assert torch.allclose(alone, emb[b], atol=1e-5), name
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_xlmr_unigram_models.py (seed %d); fp32 PyTorch" % seed,
        "texts": TEXTS, "input_ids": ids, "pooling": "cls", "normalize": True,
        "last_hidden_state_0": [f32_list(r) for r in hidden[0, :len(ids[0])]],
        "embeddings": [f32_list(e) for e in emb]})
    print("%-22s seed %d vocab %d ids %s" % (name, seed, V, ids[3]))


def main():
    torch.set_grad_enabled(False)
    make_reranker("xlmr-unigram-reranker", 1200)
    make_embedder("xlmr-unigram-cls", 1300)


if __name__ == "__main__":
    sys.exit(main())
