#!/usr/bin/python3
# Builds a tiny random-weight decoder embedder in the layout of Qwen3-Embedding (and gte-Qwen2) and its golden embeddings.
# Run: /usr/bin/python3 tools/reference/make_decoder_embedder.py   (torch only; reuses make_tiny_models.py's tokenizer,
# weight drawing and safetensors writer).
#
# What the checkpoint copies from Qwen/Qwen3-Embedding-*: config.json says Qwen3ForCausalLM, yet the weights are the bare
# Qwen3Model (`embed_tokens.weight`, `layers.N.…`, `norm.weight`: no `model.` prefix, no lm_head); the tokenizer's
# post-processor appends <|endoftext|> to every text; sentence-transformers files declare last-token pooling + Normalize
# and a query instruction (`prompts.query` = "Instruct: …\nQuery:", documents get none).
#
# The reference forward is transformers' Qwen3Model on a padded batch (eager attention, fp32): position ids are
# 0..T-1 whatever the padding (cache_position), the 4-D mask is causal + padding with finfo.min, and pooling is the
# Qwen3-Embedding README's last_token_pool (left padding → last column; right padding → each row's last real token).
# Left- and right-padded batches and each text alone must agree within 1e-5 (RoPE is relative, so a left-padded row's
# shifted positions change nothing but rounding); golden.json stores the left-padded batch, as Qwen3-Embedding pads.
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import make_tiny_models as tiny  # noqa: E402

NAME = "qwen3-embed-tiny"
INSTRUCTION = "Instruct: Given a web search query, retrieve relevant passages that answer the query\nQuery:"
QUERIES = ["What does RagTune train?", "How fast is the engine?"]
DOCUMENTS = ["RagTune fine-tunes a small student model with LoRA.",
             "The quick brown fox jumps over the lazy dog.",
             "Tokens per second matter: the engine is written in C#."]


def backbone_forward(cfg, w, ids, mask):
    """ids, mask: [B, T]. Returns last_hidden_state [B, T, C] of Qwen3Model (final norm applied)."""
    B, T = ids.shape
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    inv_freq = tiny.rope_inv_freq(cfg)
    pos = torch.arange(T, dtype=torch.float32)          # position_ids = cache_position, padding or not
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()                     # [T, D]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    allowed = causal[None, :, :] & mask.bool()[:, None, :]  # [B, T(query), T(key)]
    bias = torch.where(allowed, 0.0, torch.finfo(torch.float32).min)[:, None]  # [B, 1, T, T]

    def lin(x, name):
        return x @ w[name + ".weight"].T

    x = w["embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = "layers.%d." % i
        h = tiny.rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)
        k = lin(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
        v = lin(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q = tiny.rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
        k = tiny.rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + tiny.rotate_half(q) * sin
        k = k * cos + tiny.rotate_half(k) * sin
        rep = H // KV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(D) + bias
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        a = (probs @ v).transpose(1, 2).reshape(B, T, H * D)
        x = x + lin(a, p + "self_attn.o_proj")
        h = tiny.rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
    return tiny.rms_norm(x, w["norm.weight"], eps)


def last_token_pool(hidden, mask):
    # Qwen3-Embedding README / sentence-transformers Pooling(lasttoken).
    left_padding = bool(mask[:, -1].sum() == mask.shape[0])
    if left_padding:
        return hidden[:, -1]
    lengths = mask.sum(dim=1) - 1
    return hidden[torch.arange(hidden.shape[0]), lengths]


def embed_batch(cfg, w, seqs, pad_id, left):
    T = max(len(s) for s in seqs)
    pad = [[pad_id] * (T - len(s)) for s in seqs]
    ids = torch.tensor([p + s if left else s + p for s, p in zip(seqs, pad)])
    mask = torch.tensor([[0] * len(p) + [1] * len(s) if left else [1] * len(s) + [0] * len(p) for s, p in zip(seqs, pad)])
    e = last_token_pool(backbone_forward(cfg, w, ids, mask), mask)
    return torch.nn.functional.normalize(e, p=2, dim=1)


def main():
    torch.set_grad_enabled(False)
    tok = tiny.ByteBpe(tiny.train_bpe(tiny.CORPUS, tiny.NUM_MERGES))
    eot = tok.special["<|endoftext|>"]
    cfg = tiny.base_decoder_cfg(
        "Qwen3ForCausalLM", "qwen3", tok, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, intermediate_size=96, tie_word_embeddings=False, attention_bias=False, sliding_window=None,
        use_sliding_window=False, max_window_layers=2, max_position_embeddings=128)
    seed = 900
    drawn = tiny.decoder_weights(cfg, torch.Generator().manual_seed(seed))
    # The bare Qwen3Model: names without "model.", and no lm_head.
    w = {k[len("model."):]: v for k, v in drawn.items() if k.startswith("model.")}

    texts = [INSTRUCTION + q for q in QUERIES] + DOCUMENTS
    seqs = [tok.encode(t) + [eot] for t in texts]       # the post-processor's appended <|endoftext|>
    assert max(len(s) for s in seqs) < cfg["max_position_embeddings"]
    left = embed_batch(cfg, w, seqs, eot, left=True)
    right = embed_batch(cfg, w, seqs, eot, left=False)
    assert torch.allclose(left, right, atol=1e-5), float((left - right).abs().max())
    for b, s in enumerate(seqs):
        alone = embed_batch(cfg, w, [s], eot, left=True)[0]
        assert torch.allclose(alone, left[b], atol=1e-5), float((alone - left[b]).abs().max())

    out = os.path.join(tiny.ROOT, NAME)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    for root, _, files in os.walk(out):
        for f in files:
            os.remove(os.path.join(root, f))
    tiny.save_checkpoint(out, w, torch.float32)
    tiny.write_json(os.path.join(out, "config.json"), dict(cfg, torch_dtype="float32"))
    tokenizer = tok.tokenizer_json()
    tokenizer["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "<|endoftext|>", "type_id": 1}}],
        "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [eot], "tokens": ["<|endoftext|>"]}}}
    tiny.write_json(os.path.join(out, "tokenizer.json"), tokenizer)
    tiny.write_json(os.path.join(out, "tokenizer_config.json"), {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 131072, "padding_side": "left",
        "errors": "replace", "tokenizer_class": "Qwen2Tokenizer", "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for s, i in tok.special.items()}})
    tiny.write_json(os.path.join(out, "modules.json"), [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}])
    tiny.write_json(os.path.join(out, "1_Pooling", "config.json"), {
        "word_embedding_dimension": cfg["hidden_size"], "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": False,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": True, "include_prompt": True})
    tiny.write_json(os.path.join(out, "config_sentence_transformers.json"), {
        "prompts": {"query": INSTRUCTION, "document": ""}, "default_prompt_name": None, "similarity_fn_name": "cosine"})
    tiny.write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_decoder_embedder.py (seed %d); fp32 PyTorch, left-padded batch" % seed,
        "instruction": INSTRUCTION, "queries": QUERIES, "documents": DOCUMENTS, "texts": texts, "input_ids": seqs,
        "max_left_right_difference": float((left - right).abs().max()),
        "embeddings": [tiny.f32_list(e) for e in left]})
    print("%s seed %d lengths %s left/right max diff %.2e" % (NAME, seed, [len(s) for s in seqs], float((left - right).abs().max())))


if __name__ == "__main__":
    sys.exit(main())
