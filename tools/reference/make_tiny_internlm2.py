#!/usr/bin/python3
# Builds a tiny random-weight InternLM2ForCausalLM checkpoint, its golden logits and greedy ids, and golden LoRA gradients.
# Run: /usr/bin/python3 tools/reference/make_tiny_internlm2.py   (torch only; no transformers, no remote code — the forward
# below transcribes internlm/internlm2-chat-7b's modeling_internlm2.py: packed wqkv in the grouped layout
# "b q (h gs d)" with gs = 2 + num_key_value_groups, wo, feed_forward.w1/w3/w2, attention_norm/ffn_norm, tok_embeddings,
# output, and InternLM2DynamicNTKScalingRotaryEmbedding).
#
# Output: tests/RagTune.Engine.Tests/TestData/models/internlm2-tiny/ (checkpoint, tokenizer, golden.json) and
# tests/RagTune.Engine.Tests/TestData/training/internlm2-tiny-lora/ + internlm2_lora_golden.{json,safetensors}.
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import (CORPUS, NUM_MERGES, NEW_TOKENS, PROMPT, ROOT, ByteBpe, f32_list, rms_norm,  # noqa: E402
                              rotate_half, save_checkpoint, train_bpe, write_bpe_tokenizer, write_golden, write_json,
                              write_safetensors)

TRAINING = os.path.normpath(os.path.join(ROOT, "..", "training"))
NAME = "internlm2-tiny"
TARGETS = ["wqkv", "wo", "w1", "w2", "w3"]

# internlm2-chat's tokenizer_config.json chat_template.
INTERNLM2_CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                           "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                           "{{ '<|im_start|>assistant\\n' }}{% endif %}")
CHAT_PROMPT = "<|endoftext|><|im_start|>user\nWhat is RagTune?<|im_end|>\n<|im_start|>assistant\n"


def inv_freq_at(cfg, seq_len):
    """InternLM2RotaryEmbedding's inv_freq, or the DynamicNTK one when seq_len = max(position_ids) + 1 exceeds
    max_position_embeddings: base · (factor·seq_len/max − (factor − 1))^(dim/(dim−2))."""
    dim = cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg["rope_theta"]
    rs = cfg.get("rope_scaling")
    if rs is not None and rs["type"] == "dynamic" and seq_len > cfg["max_position_embeddings"]:
        factor = rs["factor"]
        base = base * ((factor * torch.tensor(seq_len, dtype=torch.float32) / cfg["max_position_embeddings"]) - (factor - 1)) ** (dim / (dim - 2))
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def forward(cfg, w, ids, cache, start, lora=None, scale=1.0):
    """ids: [T] new tokens at positions start..; cache: layer -> (k [KV,S,D], v [KV,S,D]). Returns logits [T, V]."""
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = cfg["hidden_size"] // H
    G = H // KV
    T = len(ids)
    eps = cfg["rms_norm_eps"]
    inv_freq = inv_freq_at(cfg, start + T).to(w["model.norm.weight"].dtype)
    pos = torch.arange(start, start + T, dtype=torch.float32).to(inv_freq.dtype)
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def lin(x, name, bias):
        y = x @ w[name + ".weight"].T
        if bias:
            y = y + w[name + ".bias"]
        if lora and name in lora:
            a, b = lora[name]
            y = y + (x @ a.T) @ b.T * scale
        return y

    x = w["model.tok_embeddings.weight"][torch.tensor(ids)]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "attention_norm.weight"], eps)
        qkv = lin(h, p + "attention.wqkv", cfg["bias"]).view(T, KV, G + 2, D)   # "b q (h gs d) -> b q h gs d"
        q = qkv[:, :, :G, :].reshape(T, H, D).transpose(0, 1)                    # "b q h gs d -> b q (h gs) d"
        k = qkv[:, :, -2, :].transpose(0, 1)
        v = qkv[:, :, -1, :].transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if cache is not None:
            if i in cache:
                k = torch.cat((cache[i][0], k), dim=1)
                v = torch.cat((cache[i][1], v), dim=1)
            cache[i] = (k, v)
        S = k.shape[1]
        k_r = k.repeat_interleave(G, dim=0)
        v_r = v.repeat_interleave(G, dim=0)
        scores = q @ k_r.transpose(1, 2) / math.sqrt(D)
        mask = torch.full((T, S), float("-inf"), dtype=scores.dtype).triu(start + 1)
        probs = torch.softmax(scores + mask, dim=-1)
        a = (probs @ v_r).transpose(0, 1).reshape(T, H * D)
        x = x + lin(a, p + "attention.wo", cfg["bias"])
        h = rms_norm(x, w[p + "ffn_norm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, p + "feed_forward.w1", False)) * lin(h, p + "feed_forward.w3", False),
                    p + "feed_forward.w2", False)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.tok_embeddings.weight"] if cfg["tie_word_embeddings"] else w["output.weight"]
    return x @ head.T


def weights(cfg, g):
    C, H, KV, I, V = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["intermediate_size"], cfg["vocab_size"]
    D = C // H
    s = 1.0 / math.sqrt(C)

    def rnd(*shape, std=s):
        return torch.randn(*shape, generator=g) * std

    def norm(n):
        return 1.0 + 0.2 * torch.randn(n, generator=g)

    w = {"model.tok_embeddings.weight": rnd(V, C, std=0.2), "model.norm.weight": norm(C)}
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "attention_norm.weight"] = norm(C)
        w[p + "ffn_norm.weight"] = norm(C)
        w[p + "attention.wqkv.weight"] = rnd((H + 2 * KV) * D, C)
        w[p + "attention.wo.weight"] = rnd(C, H * D, std=2.0 / math.sqrt(H * D))
        if cfg["bias"]:
            w[p + "attention.wqkv.bias"] = rnd((H + 2 * KV) * D, std=0.5)
            w[p + "attention.wo.bias"] = rnd(C, std=0.1)
        w[p + "feed_forward.w1.weight"] = rnd(I, C)
        w[p + "feed_forward.w3.weight"] = rnd(I, C)
        w[p + "feed_forward.w2.weight"] = rnd(C, I, std=2.0 / math.sqrt(I))
    if not cfg["tie_word_embeddings"]:
        w["output.weight"] = rnd(V, C, std=2.0 / math.sqrt(C))
    return w


def greedy(cfg, w, prompt_ids, n):
    """Greedy continuation with a KV cache as transformers runs it: each step's new token is rotated with the inverse
    frequencies of that step's length (keys already cached keep theirs). Returns ids and the min top-2 margin."""
    cache = {}
    logits = forward(cfg, w, prompt_ids, cache, 0)
    seq = list(prompt_ids)
    out, margin = [], float("inf")
    for _ in range(n):
        last = logits[-1]
        top = torch.topk(last, 2).values
        margin = min(margin, float(top[0] - top[1]))
        nxt = int(torch.argmax(last))
        out.append(nxt)
        if len(seq) <= cfg["max_position_embeddings"]:   # below the NTK threshold the cache equals full recompute
            full = forward(cfg, w, seq, None, 0)[-1]
            assert torch.allclose(full, last, atol=1e-4), float((full - last).abs().max())
        seq.append(nxt)
        logits = forward(cfg, w, [nxt], cache, len(seq) - 1)
    return out, margin


def make_batch(g, vocab):
    # The second example is longer than max_position_embeddings, so training sees the dynamic NTK frequencies too.
    batch = []
    for T, prompt in ((12, 5), (40, 9)):
        ids = torch.randint(0, vocab, (T,), generator=g).tolist()
        batch.append((ids, [-100] * prompt + ids[prompt:]))
    return batch


def loss_of(cfg, w, lora, scale, batch):
    total, count = 0.0, 0
    for ids, labels in batch:
        logits = forward(cfg, w, ids, None, 0, lora, scale)
        tgt = torch.tensor(labels[1:])
        total = total + torch.nn.functional.cross_entropy(logits[:-1], tgt, ignore_index=-100, reduction="sum")
        count += int((tgt != -100).sum())
    return total / count


def main():
    torch.set_grad_enabled(False)
    tok = ByteBpe(train_bpe(CORPUS, NUM_MERGES))
    cfg = {"architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2",
           "auto_map": {"AutoConfig": "configuration_internlm2.InternLM2Config",
                        "AutoModelForCausalLM": "modeling_internlm2.InternLM2ForCausalLM"},
           "bias": True, "hidden_act": "silu", "hidden_size": 32, "initializer_range": 0.02, "intermediate_size": 64,
           "max_position_embeddings": 32, "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
           "rms_norm_eps": 1e-5, "rope_scaling": {"type": "dynamic", "factor": 2.0}, "rope_theta": 1000000,
           "tie_word_embeddings": False, "torch_dtype": "float32", "use_cache": True, "vocab_size": 512,
           "bos_token_id": tok.special["<|endoftext|>"], "eos_token_id": tok.special["<|im_end|>"], "pad_token_id": 0,
           "attn_implementation": "eager", "transformers_version": "4.41.0"}
    out = os.path.join(ROOT, NAME)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    prompt_ids, chat_ids = tok.encode(PROMPT), tok.encode(CHAT_PROMPT)
    seed = 900
    for attempt in range(50):
        g = torch.Generator().manual_seed(seed + attempt)
        w = weights(cfg, g)
        ids, m1 = greedy(cfg, w, prompt_ids, NEW_TOKENS)
        chat, m2 = greedy(cfg, w, chat_ids, NEW_TOKENS)
        if min(m1, m2) > 2e-3 and len(set(ids)) > 4:
            break
    else:
        raise RuntimeError("no seed gave a clear greedy margin")
    assert len(prompt_ids) + NEW_TOKENS > cfg["max_position_embeddings"], "greedy must cross the NTK threshold"
    logits = forward(cfg, w, prompt_ids, None, 0)
    long_ids = prompt_ids + ids
    long_logits = forward(cfg, w, long_ids, None, 0)   # one call past max_position_embeddings: scaled frequencies
    save_checkpoint(out, w, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)
    write_bpe_tokenizer(out, tok)
    tc = json.load(open(os.path.join(out, "tokenizer_config.json")))
    tc.update({"bos_token": "<|endoftext|>", "eos_token": "<|im_end|>", "tokenizer_class": "InternLM2Tokenizer",
               "chat_template": INTERNLM2_CHAT_TEMPLATE})
    write_json(os.path.join(out, "tokenizer_config.json"), tc)
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": cfg["bos_token_id"], "eos_token_id": [tok.special["<|im_end|>"], tok.special["<|endoftext|>"]],
        "do_sample": False, "transformers_version": "4.41.0"})
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_internlm2.py (seed %d); logits are fp32 PyTorch" % (seed + attempt),
        "prompt": PROMPT, "prompt_ids": prompt_ids, "vocab_size": cfg["vocab_size"],
        "logits": [f32_list(r) for r in logits],
        "long_ids": long_ids, "long_last_logits": f32_list(long_logits[-1]), "long_logits_rows": [f32_list(long_logits[t]) for t in (0, 31, 32, len(long_ids) - 1)],
        "greedy_ids": ids, "greedy_text": tok.decode(ids), "min_greedy_margin": m1,
        "chat_prompt": CHAT_PROMPT, "chat_prompt_ids": chat_ids, "chat_greedy_ids": chat, "min_chat_greedy_margin": m2})
    print("%s seed %d margin %.4f %s" % (NAME, seed + attempt, min(m1, m2), ids[:8]))

    # ---- LoRA gradients on every PEFT target (wqkv, wo, w1, w2, w3), float64 autograd ----
    torch.set_grad_enabled(True)
    g = torch.Generator().manual_seed(4321)
    r, alpha = 4, 8.0
    batch = make_batch(g, cfg["vocab_size"])
    lora32 = {}
    for name, t in w.items():
        mod = name[:-len(".weight")]
        if name.endswith(".weight") and mod.split(".")[-1] in TARGETS:
            out_f, in_f = t.shape
            lora32[mod] = ((torch.rand(r, in_f, generator=g) * 2 - 1) / math.sqrt(in_f), torch.randn(out_f, r, generator=g) * 0.05)
    w64 = {k: v.double() for k, v in w.items()}
    lora64 = {k: (a.double().requires_grad_(), b.double().requires_grad_()) for k, (a, b) in lora32.items()}
    loss = loss_of(cfg, w64, lora64, alpha / r, batch)
    loss.backward()
    adapter, grads = {}, {}
    for mod, (a, b) in lora64.items():
        adapter["base_model.model." + mod + ".lora_A.weight"] = lora32[mod][0]
        adapter["base_model.model." + mod + ".lora_B.weight"] = lora32[mod][1]
        grads[mod + ".lora_A.weight"] = a.grad.float()
        grads[mod + ".lora_B.weight"] = b.grad.float()
    lora_dir = os.path.join(TRAINING, NAME + "-lora")
    os.makedirs(lora_dir, exist_ok=True)
    write_safetensors(os.path.join(lora_dir, "adapter_model.safetensors"), adapter, {"format": "pt"})
    write_json(os.path.join(lora_dir, "adapter_config.json"), {
        "base_model_name_or_path": NAME, "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
        "lora_alpha": alpha, "lora_dropout": 0.0, "modules_to_save": None, "peft_type": "LORA", "r": r,
        "target_modules": sorted(TARGETS), "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False})
    # ---- full fine-tune gradients of every weight on the same batch ----
    wf = {k: v.double().requires_grad_() for k, v in w.items()}
    loss_full = loss_of(cfg, wf, None, 1.0, batch)
    loss_full.backward()
    grads.update({"grad." + k: v.grad.float() for k, v in wf.items()})
    write_safetensors(os.path.join(TRAINING, "internlm2_golden.safetensors"), grads, {"format": "pt"})
    with open(os.path.join(TRAINING, "internlm2_golden.json"), "w") as f:
        json.dump({"comment": "made by tools/reference/make_tiny_internlm2.py; float64 autograd",
                   "model": NAME, "r": r, "lora_alpha": alpha, "batch": [{"ids": i, "labels": l} for i, l in batch],
                   "lora_loss": float(loss), "full_loss": float(loss_full)}, f, indent=1)
    print("lora loss %.6f full loss %.6f" % (float(loss), float(loss_full)))


if __name__ == "__main__":
    sys.exit(main())
