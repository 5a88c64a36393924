#!/usr/bin/python3
# PyTorch golden values for prompt tuning (PEFT PROMPT_TUNING) on the tiny Qwen2 fixture: PeftModelForCausalLM.forward with
# inputs_embeds = cat(prompt_embeddings, embed_tokens(ids)), labels = cat([-100] * N, labels) and HF's shifted
# cross-entropy; writes the logits of the token positions, the token-mean loss and its gradient with respect to the
# prompt embeddings, plus the PEFT adapter folder (adapter_config.json + adapter_model.safetensors with the one tensor
# prompt_embeddings [N, C]) as PEFT's save_pretrained writes it. The prompt is TEXT-initialised (the embeddings of the
# init ids, repeated to N as PEFT does) plus a small seeded perturbation, so it is not a copy of embed_tokens rows.
# Run: /usr/bin/python3 tools/reference/prompt_tuning_golden.py   (torch only). CI never runs this.
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import rms_norm, rope_inv_freq, rotate_half, write_safetensors  # noqa: E402
from train_golden import MODELS, OUT, read_safetensors  # noqa: E402

N = 4
INIT_IDS = [7, 42, 300]           # "tokenizer(init_text)['input_ids']": repeated to N → 7, 42, 300, 7
IDS = [11, 23, 5, 77, 140, 9, 250]
LABELS = [-100, -100, -100, 77, 140, 9, 250]


def forward(cfg, w, inputs_embeds):
    """Qwen2 (transformers' modeling_qwen2) on inputs_embeds [S, C] at positions 0..S-1; returns logits [S, V]."""
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    S = inputs_embeds.shape[0]
    inv_freq = rope_inv_freq(cfg)
    pos = torch.arange(S, dtype=torch.float32)
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()

    def lin(x, name, bias):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if bias else y

    x = inputs_embeds
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj", True).view(S, H, D).transpose(0, 1)
        k = lin(h, p + "self_attn.k_proj", True).view(S, KV, D).transpose(0, 1)
        v = lin(h, p + "self_attn.v_proj", True).view(S, KV, D).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // KV, dim=0)
        v = v.repeat_interleave(H // KV, dim=0)
        scores = q @ k.transpose(1, 2) / math.sqrt(D)
        mask = torch.full((S, S), float("-inf")).triu(1)
        a = (torch.softmax(scores + mask, dim=-1) @ v).transpose(0, 1).reshape(S, H * D)
        x = x + lin(a, p + "self_attn.o_proj", False)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, p + "mlp.gate_proj", False)) * lin(h, p + "mlp.up_proj", False),
                    p + "mlp.down_proj", False)
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w["model.embed_tokens.weight"].T   # tied head


def main():
    model = os.path.join(MODELS, "qwen2-tiny")
    with open(os.path.join(model, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["architectures"] == ["Qwen2ForCausalLM"] and cfg["tie_word_embeddings"]
    w = read_safetensors(os.path.join(model, "model.safetensors"))
    embed = w["model.embed_tokens.weight"]
    C = embed.shape[1]
    g = torch.Generator().manual_seed(99)
    init_ids = (INIT_IDS * math.ceil(N / len(INIT_IDS)))[:N]
    prompt = (embed[torch.tensor(init_ids)] + 0.1 * torch.randn(N, C, generator=g)).clone().requires_grad_(True)

    inputs_embeds = torch.cat((prompt, embed[torch.tensor(IDS)]), dim=0)
    logits = forward(cfg, w, inputs_embeds)
    labels = torch.tensor([-100] * N + LABELS)
    loss = torch.nn.functional.cross_entropy(logits[:-1], labels[1:], ignore_index=-100)
    loss.backward()

    out = os.path.join(OUT, "qwen2-tiny-prompt-tuning")
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "adapter_model.safetensors"), {"prompt_embeddings": prompt.detach()}, {"format": "pt"})
    config = {
        "auto_mapping": None, "base_model_name_or_path": "qwen2-tiny", "inference_mode": True, "modules_to_save": None,
        "num_attention_heads": cfg["num_attention_heads"], "num_layers": cfg["num_hidden_layers"],
        "num_transformer_submodules": 1, "num_virtual_tokens": N, "peft_type": "PROMPT_TUNING",
        "prompt_tuning_init": "TEXT", "prompt_tuning_init_text": "tiny init text", "revision": None,
        "task_type": "CAUSAL_LM", "token_dim": C, "tokenizer_kwargs": None, "tokenizer_name_or_path": "qwen2-tiny"}
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump({
            "ids": IDS, "labels": LABELS, "init_ids": init_ids,
            "loss": loss.item(),
            "logits": [round(v, 7) for v in logits[N:].detach().flatten().tolist()],
            "prompt_grad": [round(v, 9) for v in prompt.grad.flatten().tolist()],
        }, f)
    print("loss", loss.item(), "wrote", out)


if __name__ == "__main__":
    main()
