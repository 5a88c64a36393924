#!/usr/bin/python3
# PyTorch golden values for the C# trainer: loss and LoRA gradients for one batch on the tiny Qwen2 fixture (LoRA r=4 on
# all seven projections), loss and full gradients on the tiny Qwen3 fixture (q/k norms, untied lm_head), and the first
# 10 losses of torch.optim.AdamW on the LoRA run; plus a PEFT adapter folder written by hand in PEFT's exact layout.
# Run: /usr/bin/python3 tools/reference/train_golden.py   (torch only; the forward mirrors transformers' modeling_qwen2/3,
# with PEFT's LoRA: y = W x + b + lora_B(lora_A(dropout(x))) * alpha / r). CI never runs this.
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import rms_norm, rope_inv_freq, rotate_half, write_safetensors  # noqa: E402

HERE = os.path.dirname(__file__)
MODELS = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "models"))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "training"))
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(info["shape"]).clone()
    return out


def forward_loss(cfg, w, lora, scale, batch):
    """Token-mean cross-entropy over the batch (HF: logits[:-1] vs labels[1:], ignore_index -100)."""
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    arch = cfg["architectures"][0]
    qkv_bias = arch == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    o_bias = arch != "Qwen2ForCausalLM" and cfg.get("attention_bias", False)
    inv_freq = rope_inv_freq(cfg).to(w["model.norm.weight"].dtype)

    def lin(x, name, bias):
        y = x @ w[name + ".weight"].T
        if bias:
            y = y + w[name + ".bias"]
        if name in lora:
            a, b = lora[name]
            y = y + (x @ a.T) @ b.T * scale
        return y

    total, count = 0.0, 0
    for ids, labels in batch:
        T = len(ids)
        pos = torch.arange(T, dtype=torch.float32).to(inv_freq.dtype)
        freqs = pos[:, None] * inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        x = w["model.embed_tokens.weight"][torch.tensor(ids)]
        for i in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
            q = lin(h, p + "self_attn.q_proj", qkv_bias).view(T, H, D).transpose(0, 1)
            k = lin(h, p + "self_attn.k_proj", qkv_bias).view(T, KV, D).transpose(0, 1)
            v = lin(h, p + "self_attn.v_proj", qkv_bias).view(T, KV, D).transpose(0, 1)
            if arch == "Qwen3ForCausalLM":
                q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
                k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = H // KV
            k = k.repeat_interleave(rep, dim=0)
            v = v.repeat_interleave(rep, dim=0)
            scores = q @ k.transpose(1, 2) / math.sqrt(D)
            mask = torch.full((T, T), float("-inf"), dtype=scores.dtype).triu(1)
            probs = torch.softmax(scores + mask, dim=-1)
            a = (probs @ v).transpose(0, 1).reshape(T, H * D)
            x = x + lin(a, p + "self_attn.o_proj", o_bias)
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
            g = lin(h, p + "mlp.gate_proj", False)
            u = lin(h, p + "mlp.up_proj", False)
            x = x + lin(torch.nn.functional.silu(g) * u, p + "mlp.down_proj", False)
        x = rms_norm(x, w["model.norm.weight"], eps)
        head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
        logits = x @ head.T
        tgt = torch.tensor(labels[1:])
        total = total + torch.nn.functional.cross_entropy(logits[:-1], tgt, ignore_index=-100, reduction="sum")
        count += int((tgt != -100).sum())
    return total / count


def write_peft_adapter(out, tensors, r, alpha):
    """The two files PEFT's save_pretrained writes for a LoRA adapter (peft 0.13 field set, sorted keys, indent 2)."""
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "adapter_model.safetensors"), tensors, {"format": "pt"})
    config = {
        "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": "qwen2-tiny", "bias": "none",
        "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True, "layer_replication": None,
        "layers_pattern": None, "layers_to_transform": None, "loftq_config": {}, "lora_alpha": alpha, "lora_dropout": 0.0,
        "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None, "peft_type": "LORA", "r": r,
        "rank_pattern": {}, "revision": None, "target_modules": sorted(TARGETS), "task_type": "CAUSAL_LM",
        "use_dora": False, "use_rslora": False}
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def make_batch(g, vocab):
    batch = []
    for T, prompt in ((12, 5), (9, 3)):
        ids = torch.randint(0, vocab, (T,), generator=g).tolist()
        labels = [-100] * prompt + ids[prompt:]
        batch.append((ids, labels))
    return batch




def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    # ---- LoRA on the tiny Qwen2 (biases, GQA, tied embeddings) ----
    d = os.path.join(MODELS, "qwen2-tiny")
    cfg = json.load(open(os.path.join(d, "config.json")))
    w32 = read_safetensors(os.path.join(d, "model.safetensors"))
    r, alpha = 4, 8.0
    scale = alpha / r
    batch = make_batch(g, cfg["vocab_size"])
    lora32 = {}
    for name, t in w32.items():
        mod = name[:-len(".weight")]
        if name.endswith(".weight") and mod.split(".")[-1] in TARGETS:
            out_f, in_f = t.shape
            a = (torch.rand(r, in_f, generator=g) * 2 - 1) / math.sqrt(in_f)
            b = torch.randn(out_f, r, generator=g) * 0.05  # non-zero so lora_A receives a gradient too
            lora32[mod] = (a, b)
    # gradients in float64 (the C# fp32 result is compared within a tolerance)
    w64 = {k: v.double() for k, v in w32.items()}
    lora64 = {k: (a.double().requires_grad_(), b.double().requires_grad_()) for k, (a, b) in lora32.items()}
    loss = forward_loss(cfg, w64, lora64, scale, batch)
    loss.backward()
    adapter, grads = {}, {}
    for mod, (a, b) in lora64.items():
        key = "base_model.model." + mod
        adapter[key + ".lora_A.weight"] = lora32[mod][0]
        adapter[key + ".lora_B.weight"] = lora32[mod][1]
        grads[mod + ".lora_A.weight"] = a.grad.float()
        grads[mod + ".lora_B.weight"] = b.grad.float()
    write_peft_adapter(os.path.join(OUT, "qwen2-tiny-lora"), adapter, r, alpha)
    write_safetensors(os.path.join(OUT, "qwen2_lora_grads.safetensors"), grads, {"format": "pt"})

    # AdamW, 10 steps on the same batch, fp32 as the C# trainer runs
    params = []
    lora_t = {}
    for mod, (a, b) in lora32.items():
        pa, pb = a.clone().requires_grad_(), b.clone().requires_grad_()
        lora_t[mod] = (pa, pb)
        params += [pa, pb]
    opt = torch.optim.AdamW(params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    adam_losses = []
    for _ in range(10):
        opt.zero_grad()
        l32 = forward_loss(cfg, w32, lora_t, scale, batch)
        l32.backward()
        opt.step()
        adam_losses.append(float(l32))

    # ---- full fine-tune gradients on the tiny Qwen3 (q/k norms, untied lm_head) ----
    d3 = os.path.join(MODELS, "qwen3-tiny")
    cfg3 = json.load(open(os.path.join(d3, "config.json")))
    w3 = {k: v.double().requires_grad_() for k, v in read_safetensors(os.path.join(d3, "model.safetensors")).items()}
    batch3 = make_batch(g, cfg3["vocab_size"])
    loss3 = forward_loss(cfg3, w3, {}, 1.0, batch3)
    loss3.backward()
    write_safetensors(os.path.join(OUT, "qwen3_full_golden.safetensors"),
                      {"grad." + k: v.grad.float() for k, v in w3.items()}, {"format": "pt"})

    with open(os.path.join(OUT, "golden.json"), "w") as f:
        json.dump({
            "comment": "made by tools/reference/train_golden.py; gradients computed in float64, AdamW losses in float32",
            "lora": {"model": "qwen2-tiny", "r": r, "lora_alpha": alpha, "batch": [{"ids": i, "labels": l} for i, l in batch],
                     "loss": float(loss), "adamw": {"lr": 1e-2, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.1},
                     "adamw_losses": adam_losses},
            "full": {"model": "qwen3-tiny", "batch": [{"ids": i, "labels": l} for i, l in batch3], "loss": float(loss3)},
        }, f, indent=1)
    print("lora loss %.6f full loss %.6f adamw %s" % (float(loss), float(loss3), ["%.5f" % x for x in adam_losses]))


if __name__ == "__main__":
    main()
