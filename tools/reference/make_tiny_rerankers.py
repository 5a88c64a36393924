#!/usr/bin/python3
# Builds tiny random-weight rerankers and their golden scores: two cross-encoders (BertForSequenceClassification,
# XLMRobertaForSequenceClassification; the bge-reranker / ms-marco cross-encoder layout) and a Qwen3-Reranker-style
# decoder (Qwen3ForCausalLM scored by its "yes"/"no" logits under the model's own prompt).
# Run: /usr/bin/python3 tools/reference/make_tiny_rerankers.py   (torch only; no transformers — the heads below are
# transcriptions of modeling_bert.py's BertForSequenceClassification, modeling_xlm_roberta.py's
# XLMRobertaClassificationHead, and Qwen3-Reranker's model card code; the encoder and decoder forwards come from
# make_tiny_models.py).
#
# Output: tests/RagTune.Engine.Tests/TestData/models/{bert,xlmr}-tiny-reranker/ and qwen3-tiny-reranker/, each with
# config.json, model.safetensors, tokenizer files and golden.json.
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import (BERT_VOCAB, CORPUS, NUM_MERGES, ROOT, ByteBpe, base_decoder_cfg, decoder_forward,  # noqa: E402
                              decoder_weights, encoder_forward, encoder_weights, f32_list, save_checkpoint, train_bpe,
                              wordpiece_encode, write_bpe_tokenizer, write_golden, write_json, write_wordpiece_tokenizer)

# (query, passage) pairs; the first passage of each query answers it.
PAIRS = [
    ("what does the quick fox do", "The quick brown fox jumps over the lazy dog."),
    ("what does the quick fox do", "RagTune runs BERT in pure C#!"),
    ("hello world", "Document search: embeddings 2024"),
    ("which engine runs bert", "RagTune runs BERT in pure C#, a model engine for search."),
]


def clean(out):
    os.makedirs(out, exist_ok=True)
    for root, _, files in os.walk(out):
        for f in files:
            os.remove(os.path.join(root, f))


def encoder_cfg(arch, model_type, V, pad, positions):
    return {"architectures": [arch], "model_type": model_type, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "max_position_embeddings": positions,
            "type_vocab_size": 2 if model_type == "bert" else 1, "initializer_range": 0.02, "layer_norm_eps": 1e-12,
            "pad_token_id": pad, "position_embedding_type": "absolute", "vocab_size": V, "torch_dtype": "float32",
            "id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}, "transformers_version": "4.51.0"}


def classify(cfg, w, batch, mask, tt):
    """logits [B, 1] of *ForSequenceClassification over a padded batch."""
    hidden = encoder_forward(cfg, w, batch, mask, tt)
    first = hidden[:, 0]  # [CLS] / <s>
    if cfg["model_type"] == "bert":  # BertPooler (dense + tanh on [CLS]) → dropout → classifier
        pooled = torch.tanh(first @ w["pooler.dense.weight"].T + w["pooler.dense.bias"])
        return pooled @ w["classifier.weight"].T + w["classifier.bias"]
    # XLMRobertaClassificationHead: dropout → dense → tanh → dropout → out_proj on <s>
    x = torch.tanh(first @ w["classifier.dense.weight"].T + w["classifier.dense.bias"])
    return x @ w["classifier.out_proj.weight"].T + w["classifier.out_proj.bias"]


def make_cross_encoder(name, arch, model_type, seed):
    out = os.path.join(ROOT, name)
    clean(out)
    g = torch.Generator().manual_seed(seed)
    C = 32
    if model_type == "bert":
        vocab = {t: i for i, t in enumerate(BERT_VOCAB)}
        cfg = encoder_cfg(arch, model_type, 128, 0, 64)
        encode = lambda text: wordpiece_encode(text, vocab)[1:-1]  # noqa: E731 — pieces without [CLS]/[SEP]
        cls, sep, pad = vocab["[CLS]"], vocab["[SEP]"], vocab["[PAD]"]
    else:
        # RoBERTa's layout: <s>=0 <pad>=1 </s>=2 <unk>=3 before a byte-level BPE vocabulary; positions start at pad + 1 = 2.
        tok = ByteBpe(train_bpe(CORPUS, NUM_MERGES))
        cfg = encoder_cfg(arch, model_type, 512, 1, 66)
        encode = lambda text: [i + 4 for i in tok.encode(text)]  # noqa: E731
        cls, sep, pad = 0, 2, 1
    w = encoder_weights(cfg, g)
    if model_type == "bert":
        w["classifier.weight"] = torch.randn(1, C, generator=g) * 0.5
        w["classifier.bias"] = torch.randn(1, generator=g) * 0.1
    else:
        del w["pooler.dense.weight"], w["pooler.dense.bias"]  # XLMRobertaForSequenceClassification: add_pooling_layer=False
        w["classifier.dense.weight"] = torch.randn(C, C, generator=g) * 0.3
        w["classifier.dense.bias"] = torch.randn(C, generator=g) * 0.1
        w["classifier.out_proj.weight"] = torch.randn(1, C, generator=g) * 0.5
        w["classifier.out_proj.bias"] = torch.randn(1, generator=g) * 0.1
    # As save_pretrained writes them: the encoder (and BERT's pooler) under the base model's prefix, the head at the top.
    prefix = "bert." if model_type == "bert" else "roberta."
    save_checkpoint(out, {(k if k.startswith("classifier.") else prefix + k): v for k, v in w.items()}, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)
    if model_type == "bert":
        write_wordpiece_tokenizer(out, vocab)
    else:
        write_roberta_tokenizer(out, tok)

    # The pair as the Hugging Face tokenizer builds it: BERT [CLS] q [SEP] p [SEP] with token_type_ids 0…0 1…1;
    # RoBERTa/XLM-R <s> q </s></s> p </s>, all type 0.
    ids, types = [], []
    for q, p in PAIRS:
        a, b = encode(q), encode(p)
        if model_type == "bert":
            ids.append([cls] + a + [sep] + b + [sep])
            types.append([0] * (len(a) + 2) + [1] * (len(b) + 1))
        else:
            ids.append([cls] + a + [sep, sep] + b + [sep])
            types.append([0] * (len(a) + len(b) + 4))
    T = max(len(s) for s in ids)
    batch = torch.tensor([s + [pad] * (T - len(s)) for s in ids])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in ids])
    tt = torch.tensor([s + [0] * (T - len(s)) for s in types])
    logits = classify(cfg, w, batch, mask, tt)[:, 0]
    for i, s in enumerate(ids):  # each pair alone gives the same logit
        alone = classify(cfg, w, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long), torch.tensor([types[i]]))[0, 0]
        assert abs(float(alone - logits[i])) < 1e-5, name
    scores = torch.sigmoid(logits)
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_rerankers.py (seed %d); fp32 PyTorch, one padded batch" % seed,
        "pairs": [list(p) for p in PAIRS], "input_ids": ids, "token_type_ids": types,
        "logits": f32_list(logits), "scores": f32_list(scores)})
    print("%-20s seed %d scores %s" % (name, seed, [round(float(s), 4) for s in scores]))


def write_roberta_tokenizer(out, tok):
    j = tok.tokenizer_json()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    j["model"]["vocab"] = dict({s: i for i, s in enumerate(specials)}, **{t: i + 4 for t, i in tok.vocab.items()})
    j["added_tokens"] = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
                          "special": True} for i, s in enumerate(specials)]
    j["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0], "trim_offsets": True,
                           "add_prefix_space": False}
    write_json(os.path.join(out, "tokenizer.json"), j)
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "tokenizer_class": "XLMRobertaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "unk_token": "<unk>", "model_max_length": 64})


# --------------------------------------------------------------------------------------------------------------------
# Qwen3-Reranker (model card of Qwen/Qwen3-Reranker-0.6B): prefix + "<Instruct>: …\n<Query>: …\n<Document>: …" + suffix,
# each part tokenised on its own; score = softmax over the logits of "no" and "yes" at the last position, "yes" taken.

RERANK_PREFIX = ("<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct "
                 "provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n")
RERANK_SUFFIX = "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query"
# The tiny tokenizer learns its merges from the shared corpus plus answers, so that "yes" and "no" are single tokens.
ANSWERS = "\nyes\nno" * 40 + "\n"


def make_decoder_reranker(name, seed):
    out = os.path.join(ROOT, name)
    clean(out)
    tok = ByteBpe(train_bpe(CORPUS + ANSWERS, NUM_MERGES))
    assert "yes" in tok.vocab and "no" in tok.vocab and len(tok.inv) <= 512
    yes, no = tok.vocab["yes"], tok.vocab["no"]
    cfg = base_decoder_cfg("Qwen3ForCausalLM", "qwen3", tok, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                           num_key_value_heads=2, head_dim=16, intermediate_size=96, tie_word_embeddings=True,
                           attention_bias=False, sliding_window=None, use_sliding_window=False, max_window_layers=2)
    g = torch.Generator().manual_seed(seed)
    w = decoder_weights(cfg, g)
    save_checkpoint(out, w, torch.float32)
    write_json(os.path.join(out, "config.json"), dict(cfg, torch_dtype="float32"))
    write_bpe_tokenizer(out, tok)
    instructions = [None, None, None, "Find the passage that names the engine"]
    prefix, suffix = tok.encode(RERANK_PREFIX), tok.encode(RERANK_SUFFIX)
    ids, yes_logits, no_logits, scores = [], [], [], []
    for (q, p), instruction in zip(PAIRS, instructions):
        middle = "<Instruct>: %s\n<Query>: %s\n<Document>: %s" % (instruction or DEFAULT_INSTRUCTION, q, p)
        seq = prefix + tok.encode(middle) + suffix
        last = decoder_forward(cfg, w, seq, {}, 0)[-1]
        pair = torch.log_softmax(torch.stack([last[no], last[yes]]), dim=0)
        ids.append(seq)
        yes_logits.append(float(last[yes]))
        no_logits.append(float(last[no]))
        scores.append(float(pair[1].exp()))
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_rerankers.py (seed %d); fp32 PyTorch" % seed,
        "pairs": [list(p) for p in PAIRS], "instructions": instructions, "yes_id": yes, "no_id": no, "input_ids": ids,
        "yes_logits": f32_list(torch.tensor(yes_logits)), "no_logits": f32_list(torch.tensor(no_logits)),
        "scores": f32_list(torch.tensor(scores))})
    print("%-20s seed %d scores %s" % (name, seed, [round(s, 4) for s in scores]))


def main():
    torch.set_grad_enabled(False)
    make_cross_encoder("bert-tiny-reranker", "BertForSequenceClassification", "bert", 900)
    make_cross_encoder("xlmr-tiny-reranker", "XLMRobertaForSequenceClassification", "xlm-roberta", 1000)
    make_decoder_reranker("qwen3-tiny-reranker", 1100)


if __name__ == "__main__":
    sys.exit(main())
