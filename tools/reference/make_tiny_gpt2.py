#!/usr/bin/python3
# Builds a tiny random-weight GPT2LMHeadModel checkpoint, its golden logits and greedy ids, and golden LoRA / full gradients.
# Run: /usr/bin/python3 tools/reference/make_tiny_gpt2.py   (torch only; no transformers — the forward below transcribes
# transformers' modeling_gpt2.py: wte + wpe, LayerNorm ln_1/ln_2/ln_f, Conv1D weights stored [in, out] (y = x·W + b),
# c_attn packed [q | k | v], scores / √D (scale_attn_weights), gelu_new, tied lm_head; eager attention, fp32).
#
# Output: tests/RagTune.Engine.Tests/TestData/models/gpt2-tiny/ (tensors under "transformer.", no lm_head: tied) and
# tests/RagTune.Engine.Tests/TestData/training/gpt2-tiny-lora/ + gpt2_golden.{json,safetensors}.
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import (CORPUS, NUM_MERGES, NEW_TOKENS, PROMPT, ROOT, ByteBpe, f32_list, save_checkpoint,  # noqa: E402
                              train_bpe, write_bpe_tokenizer, write_golden, write_json, write_safetensors)

TRAINING = os.path.normpath(os.path.join(ROOT, "..", "training"))
NAME = "gpt2-tiny"
TARGETS = ["c_attn", "c_proj", "c_fc"]
# GPT-2 has no chat template: RagTune's plain layout puts the user's text on a line and generates after it.
CHAT_PROMPT = "What is RagTune?\n"


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu_new(x):
    # NewGELUActivation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(cfg, w, ids, cache, start, lora=None, scale=1.0):
    """ids: [T] new tokens at positions start..; cache: layer -> (k [H,S,D], v [H,S,D]). Returns logits [T, V]."""
    C, H = cfg["n_embd"], cfg["n_head"]
    D = C // H
    T = len(ids)
    eps = cfg["layer_norm_epsilon"]

    def conv1d(x, name):
        # Conv1D: weight [in, out]; PEFT's LoRA on it (fan_in_fan_out) keeps lora_A [r, in], lora_B [out, r].
        y = x @ w[name + ".weight"] + w[name + ".bias"]
        if lora and name in lora:
            a, b = lora[name]
            y = y + (x @ a.T) @ b.T * scale
        return y

    pos = torch.arange(start, start + T)
    x = w["transformer.wte.weight"][torch.tensor(ids)] + w["transformer.wpe.weight"][pos]
    for i in range(cfg["n_layer"]):
        p = "transformer.h.%d." % i
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        q, k, v = conv1d(h, p + "attn.c_attn").split(C, dim=-1)
        q, k, v = (t.view(T, H, D).transpose(0, 1) for t in (q, k, v))
        if cache is not None:
            if i in cache:
                k = torch.cat((cache[i][0], k), dim=1)
                v = torch.cat((cache[i][1], v), dim=1)
            cache[i] = (k, v)
        S = k.shape[1]
        scores = q @ k.transpose(1, 2) / torch.full([], v.size(-1) ** 0.5, dtype=q.dtype)
        causal = torch.ones(T, S, dtype=torch.bool).tril(start)
        scores = torch.where(causal, scores, torch.full([], torch.finfo(scores.dtype).min, dtype=scores.dtype))
        probs = torch.softmax(scores, dim=-1)
        a = (probs @ v).transpose(0, 1).reshape(T, C)
        x = x + conv1d(a, p + "attn.c_proj")
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        x = x + conv1d(gelu_new(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, w["transformer.ln_f.weight"], w["transformer.ln_f.bias"], eps)
    return x @ w["transformer.wte.weight"].T


def weights(cfg, g):
    C, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    I = cfg["n_inner"] or 4 * C
    s = 1.0 / math.sqrt(C)

    def rnd(*shape, std=s):
        return torch.randn(*shape, generator=g) * std

    def norm(n):
        return 1.0 + 0.2 * torch.randn(n, generator=g)

    w = {"transformer.wte.weight": rnd(V, C, std=0.3), "transformer.wpe.weight": rnd(P, C, std=0.1),
         "transformer.ln_f.weight": norm(C), "transformer.ln_f.bias": rnd(C, std=0.1)}
    for i in range(cfg["n_layer"]):
        p = "transformer.h.%d." % i
        w[p + "ln_1.weight"], w[p + "ln_1.bias"] = norm(C), rnd(C, std=0.1)
        w[p + "ln_2.weight"], w[p + "ln_2.bias"] = norm(C), rnd(C, std=0.1)
        w[p + "attn.c_attn.weight"], w[p + "attn.c_attn.bias"] = rnd(C, 3 * C), rnd(3 * C, std=0.3)
        w[p + "attn.c_proj.weight"], w[p + "attn.c_proj.bias"] = rnd(C, C, std=2.0 / math.sqrt(C)), rnd(C, std=0.1)
        w[p + "mlp.c_fc.weight"], w[p + "mlp.c_fc.bias"] = rnd(C, I), rnd(I, std=0.1)
        w[p + "mlp.c_proj.weight"], w[p + "mlp.c_proj.bias"] = rnd(I, C, std=2.0 / math.sqrt(I)), rnd(C, std=0.1)
    return w


def greedy(cfg, w, prompt_ids, n):
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
        full = forward(cfg, w, seq, None, 0)[-1]
        assert torch.allclose(full, last, atol=1e-4), float((full - last).abs().max())
        seq.append(nxt)
        logits = forward(cfg, w, [nxt], cache, len(seq) - 1)
    return out, margin


def make_batch(g, vocab):
    batch = []
    for T, prompt in ((12, 5), (9, 3)):
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
    eot = tok.special["<|endoftext|>"]
    cfg = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
           "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1, "initializer_range": 0.02, "layer_norm_epsilon": 1e-5,
           "n_ctx": 64, "n_embd": 32, "n_head": 4, "n_inner": None, "n_layer": 2, "n_positions": 64,
           "reorder_and_upcast_attn": False, "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True,
           "summary_activation": None, "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
           "summary_type": "cls_index", "summary_use_proj": True, "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
           "torch_dtype": "float32", "use_cache": True, "vocab_size": 512, "bos_token_id": eot, "eos_token_id": eot,
           "transformers_version": "4.41.0"}
    out = os.path.join(ROOT, NAME)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    prompt_ids, chat_ids = tok.encode(PROMPT), tok.encode(CHAT_PROMPT)
    seed = 1000
    for attempt in range(50):
        g = torch.Generator().manual_seed(seed + attempt)
        w = weights(cfg, g)
        ids, m1 = greedy(cfg, w, prompt_ids, NEW_TOKENS)
        chat, m2 = greedy(cfg, w, chat_ids, NEW_TOKENS)
        margin = min(m1, m2)
        if margin > 2e-3 and len(set(ids)) > 4:
            break
    else:
        raise RuntimeError("no seed gave a clear greedy margin")
    logits = forward(cfg, w, prompt_ids, None, 0)
    save_checkpoint(out, w, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)
    write_bpe_tokenizer(out, tok)
    tc = json.load(open(os.path.join(out, "tokenizer_config.json")))
    # GPT-2's tokenizer_config: <|endoftext|> is bos, eos and unk; there is no chat template.
    tc.update({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": None,
               "tokenizer_class": "GPT2Tokenizer", "model_max_length": 64})
    del tc["chat_template"]
    write_json(os.path.join(out, "tokenizer_config.json"), tc)
    write_json(os.path.join(out, "generation_config.json"), {"bos_token_id": eot, "eos_token_id": eot, "transformers_version": "4.41.0"})
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_gpt2.py (seed %d); logits are fp32 PyTorch" % (seed + attempt),
        "prompt": PROMPT, "prompt_ids": prompt_ids, "vocab_size": cfg["vocab_size"],
        "logits": [f32_list(r) for r in logits],
        "greedy_ids": ids, "greedy_text": tok.decode(ids), "min_greedy_margin": m1,
        "chat_prompt": CHAT_PROMPT, "chat_prompt_ids": chat_ids, "chat_greedy_ids": chat, "min_chat_greedy_margin": m2})
    print("%s seed %d margin %.4f %s" % (NAME, seed + attempt, margin, ids[:8]))

    torch.set_grad_enabled(True)
    g = torch.Generator().manual_seed(5678)
    r, alpha = 4, 8.0
    batch = make_batch(g, cfg["vocab_size"])
    lora32 = {}
    for name, t in w.items():
        mod = name[:-len(".weight")]
        if name.endswith(".weight") and mod.split(".")[-1] in TARGETS:
            in_f, out_f = t.shape   # Conv1D [in, out]
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
        "base_model_name_or_path": NAME, "bias": "none", "fan_in_fan_out": True, "inference_mode": True,
        "lora_alpha": alpha, "lora_dropout": 0.0, "modules_to_save": None, "peft_type": "LORA", "r": r,
        "target_modules": sorted(TARGETS), "task_type": "CAUSAL_LM", "use_dora": False, "use_rslora": False})
    wf = {k: v.double().requires_grad_() for k, v in w.items()}
    loss_full = loss_of(cfg, wf, None, 1.0, batch)
    loss_full.backward()
    grads.update({"grad." + k: v.grad.float() for k, v in wf.items()})
    write_safetensors(os.path.join(TRAINING, "gpt2_golden.safetensors"), grads, {"format": "pt"})
    with open(os.path.join(TRAINING, "gpt2_golden.json"), "w") as f:
        json.dump({"comment": "made by tools/reference/make_tiny_gpt2.py; float64 autograd; Conv1D gradients in the [in, out] layout",
                   "model": NAME, "r": r, "lora_alpha": alpha, "batch": [{"ids": i, "labels": l} for i, l in batch],
                   "lora_loss": float(loss), "full_loss": float(loss_full)}, f, indent=1)
    print("lora loss %.6f full loss %.6f" % (float(loss), float(loss_full)))


if __name__ == "__main__":
    sys.exit(main())
