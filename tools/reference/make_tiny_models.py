#!/usr/bin/python3
# Builds tiny random-weight Hugging Face checkpoints (Qwen2, Qwen3, LLaMA, BERT, XLM-R) and their golden outputs.
# Run: /usr/bin/python3 tools/reference/make_tiny_models.py   (torch only; no transformers — the forwards below are
# transcriptions of transformers' modeling_{qwen2,qwen3,llama,bert,xlm_roberta}.py, eager attention, fp32).
#
# Output: tests/RagTune.Engine.Tests/TestData/models/<name>/ with config.json, safetensors (written by hand: 8-byte LE
# header length + JSON + data), tokenizer files and golden.json. The C# tests compare against golden.json; CI never runs this.
import json
import math
import os
import re
import struct
import sys

import torch

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "models"))

# --------------------------------------------------------------------------------------------------------------------
# safetensors writer (format: https://github.com/huggingface/safetensors#format)

ST_DTYPE = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    names = sorted(tensors)
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    blobs = []
    for n in names:
        b = tensor_bytes(tensors[n])
        header[n] = {"dtype": ST_DTYPE[tensors[n].dtype], "shape": list(tensors[n].shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def save_checkpoint(out, tensors, dtype, shards=1):
    tensors = {k: v.to(dtype) for k, v in tensors.items()}
    if shards == 1:
        write_safetensors(os.path.join(out, "model.safetensors"), tensors, {"format": "pt"})
        return
    names = sorted(tensors)
    per = (len(names) + shards - 1) // shards
    weight_map = {}
    total = 0
    for s in range(shards):
        fname = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
        part = {n: tensors[n] for n in names[s * per:(s + 1) * per]}
        write_safetensors(os.path.join(out, fname), part, {"format": "pt"})
        for n, t in part.items():
            weight_map[n] = fname
            total += t.numel() * t.element_size()
    write_json(os.path.join(out, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


def write_golden(path, obj):
    # One key per line, each value on one line: readable in a diff, a third of the size of indent=2.
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in obj.items()) + "\n}\n")


def f32_list(t):
    return [float("%.8g" % x) for x in t.reshape(-1).tolist()]


# --------------------------------------------------------------------------------------------------------------------
# Byte-level BPE tokenizer (GPT-2 byte map, Qwen2 pre-tokenizer). Python's `re` lacks \p{L}; the corpus and prompts are
# ASCII, for which this ASCII transcription of the Qwen2 regex splits identically.

QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
ASCII_REGEX = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = """RagTune turns a company's documents into a domain expert. It reads the documents, builds a knowledge base with
hybrid retrieval, writes training questions with a teacher model, and fine-tunes a small student model with LoRA.
The engine is written in C# and loads Hugging Face checkpoints unchanged: Qwen2, Qwen3, LLaMA and BERT.
Hello, world! The quick brown fox jumps over the lazy dog. She said: "we'll test it, they're sure it's right."
Numbers like 2024, 3.14159 and 42 are split one digit at a time. Attention is all you need; tokens per second matter.
<html><body>The model answers questions about the documents it was trained on.</body></html>
"""

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
NUM_MERGES = 250


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return bs, [chr(c) for c in cs]


BS, CS = bytes_to_unicode()
BYTE2CHAR = dict(zip(BS, CS))


def piece_symbols(piece):
    return [BYTE2CHAR[b] for b in piece.encode("utf-8")]


def train_bpe(text, num_merges):
    words = {}
    for p in ASCII_REGEX.findall(text):
        w = tuple(piece_symbols(p))
        words[w] = words.get(w, 0) + 1
    merges = []
    for _ in range(num_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = max(counts.items(), key=lambda kv: (kv[1], [-ord(ch) for ch in kv[0][0] + kv[0][1]]))[0]
        merges.append(best)
        new_words = {}
        for w, c in words.items():
            out = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + c
        words = new_words
    return merges


class ByteBpe:
    def __init__(self, merges):
        self.vocab = {c: i for i, c in enumerate(CS)}
        for a, b in merges:
            if a + b not in self.vocab:
                self.vocab[a + b] = len(self.vocab)
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.merges = merges
        self.special = {s: len(self.vocab) + i for i, s in enumerate(SPECIALS)}
        self.inv = {i: t for t, i in self.vocab.items()}
        self.inv.update({i: s for s, i in self.special.items()})

    def bpe(self, symbols):
        symbols = list(symbols)
        while len(symbols) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
        return symbols

    def encode(self, text):
        # Special tokens are parsed (as HF does for chat prompts), the rest goes through regex + BPE.
        ids = []
        pattern = "(" + "|".join(re.escape(s) for s in SPECIALS) + ")"
        for part in re.split(pattern, text):
            if part in self.special:
                ids.append(self.special[part])
                continue
            for p in ASCII_REGEX.findall(part):
                ids.extend(self.vocab[s] for s in self.bpe(piece_symbols(p)))
        return ids

    def decode(self, ids):
        char2byte = {c: b for b, c in BYTE2CHAR.items()}
        out = b""
        for i in ids:
            t = self.inv[i]
            out += t.encode("utf-8") if t in self.special else bytes(char2byte[c] for c in t)
        return out.decode("utf-8", errors="replace")

    def tokenizer_json(self):
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for s, i in self.special.items()],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": QWEN2_REGEX}, "behavior": "Isolated", "invert": False},
                byte_level]},
            "post_processor": dict(byte_level, trim_offsets=False),
            "decoder": dict(byte_level),
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                      "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [a + " " + b for a, b in self.merges]},
        }


QWEN_CHAT_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                      "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def write_bpe_tokenizer(out, tok):
    write_json(os.path.join(out, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(out, "tokenizer_config.json"), {
        "add_bos_token": False, "add_prefix_space": False, "bos_token": None, "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>", "unk_token": None, "model_max_length": 2048, "errors": "replace",
        "tokenizer_class": "Qwen2Tokenizer", "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for s, i in tok.special.items()},
        "chat_template": QWEN_CHAT_TEMPLATE})


# --------------------------------------------------------------------------------------------------------------------
# Decoder reference (transformers' Qwen2/Qwen3/Llama modeling files, eager attention).

def rms_norm(x, w, eps):
    # Qwen2RMSNorm / LlamaRMSNorm: fp32 variance, weight * normalised input.
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rope_inv_freq(cfg):
    dim = cfg["head_dim"]
    base = cfg["rope_theta"]
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    rs = cfg.get("rope_scaling")
    if rs is None:
        return inv_freq
    kind = rs.get("rope_type", rs.get("type"))
    if kind == "linear":
        return inv_freq / rs["factor"]
    if kind == "llama3":  # _compute_llama3_parameters
        factor, low, high, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        low_wavelen = old / low
        high_wavelen = old / high
        wavelen = 2 * math.pi / inv_freq
        inv_freq_llama = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (1 - smooth) * inv_freq_llama / factor + smooth * inv_freq_llama
        is_medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
        return torch.where(is_medium, smoothed, inv_freq_llama)
    raise ValueError(kind)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def decoder_forward(cfg, w, ids, cache, start):
    """ids: [T] new tokens at positions start..start+T-1; cache: dict layer -> (k [KV,S,D], v [KV,S,D]). Returns logits [T,V]."""
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    T = len(ids)
    eps = cfg["rms_norm_eps"]
    arch = cfg["architectures"][0]
    inv_freq = rope_inv_freq(cfg)
    pos = torch.arange(start, start + T, dtype=torch.float32)
    freqs = pos[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()  # [T, D]

    def lin(x, name, bias):
        y = x @ w[name + ".weight"].T
        return y + w[name + ".bias"] if bias else y

    attn_bias_qkv = arch == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    attn_bias_o = arch != "Qwen2ForCausalLM" and cfg.get("attention_bias", False)
    mlp_bias = cfg.get("mlp_bias", False)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj", attn_bias_qkv).view(T, H, D).transpose(0, 1)
        k = lin(h, p + "self_attn.k_proj", attn_bias_qkv).view(T, KV, D).transpose(0, 1)
        v = lin(h, p + "self_attn.v_proj", attn_bias_qkv).view(T, KV, D).transpose(0, 1)
        if arch == "Qwen3ForCausalLM":
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if i in cache:
            k = torch.cat((cache[i][0], k), dim=1)
            v = torch.cat((cache[i][1], v), dim=1)
        cache[i] = (k, v)
        S = k.shape[1]
        rep = H // KV
        k_r = k.repeat_interleave(rep, dim=0)  # repeat_kv
        v_r = v.repeat_interleave(rep, dim=0)
        scores = q @ k_r.transpose(1, 2) / math.sqrt(D)  # [H, T, S]
        mask = torch.full((T, S), float("-inf")).triu(start + 1)
        probs = torch.softmax(scores + mask, dim=-1, dtype=torch.float32)
        a = (probs @ v_r).transpose(0, 1).reshape(T, H * D)
        x = x + lin(a, p + "self_attn.o_proj", attn_bias_o)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        g = lin(h, p + "mlp.gate_proj", mlp_bias)
        u = lin(h, p + "mlp.up_proj", mlp_bias)
        x = x + lin(torch.nn.functional.silu(g) * u, p + "mlp.down_proj", mlp_bias)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else w["lm_head.weight"]
    return x @ head.T


def decoder_weights(cfg, g):
    Hd, H, KV, D, I, V = (cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"],
                          cfg["intermediate_size"], cfg["vocab_size"])
    arch = cfg["architectures"][0]
    s = 1.0 / math.sqrt(Hd)

    def rnd(*shape, std=s):
        return torch.randn(*shape, generator=g) * std

    def norm(n):
        return 1.0 + 0.2 * torch.randn(n, generator=g)

    # Small embeddings next to strong layers keep a tied head from simply repeating the last token.
    w = {"model.embed_tokens.weight": rnd(V, Hd, std=0.2), "model.norm.weight": norm(Hd)}
    qkv_bias = arch == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    o_bias = arch != "Qwen2ForCausalLM" and cfg.get("attention_bias", False)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        w[p + "input_layernorm.weight"] = norm(Hd)
        w[p + "post_attention_layernorm.weight"] = norm(Hd)
        for n, out in (("q_proj", H * D), ("k_proj", KV * D), ("v_proj", KV * D)):
            w[p + "self_attn.%s.weight" % n] = rnd(out, Hd)
            if qkv_bias:
                w[p + "self_attn.%s.bias" % n] = rnd(out, std=0.5)
        w[p + "self_attn.o_proj.weight"] = rnd(Hd, H * D, std=2.0 / math.sqrt(H * D))
        if o_bias:
            w[p + "self_attn.o_proj.bias"] = rnd(Hd, std=0.1)
        if arch == "Qwen3ForCausalLM":
            w[p + "self_attn.q_norm.weight"] = norm(D)
            w[p + "self_attn.k_norm.weight"] = norm(D)
        w[p + "mlp.gate_proj.weight"] = rnd(I, Hd)
        w[p + "mlp.up_proj.weight"] = rnd(I, Hd)
        w[p + "mlp.down_proj.weight"] = rnd(Hd, I, std=2.0 / math.sqrt(I))
        if cfg.get("mlp_bias", False):
            w[p + "mlp.gate_proj.bias"] = rnd(I, std=0.1)
            w[p + "mlp.up_proj.bias"] = rnd(I, std=0.1)
            w[p + "mlp.down_proj.bias"] = rnd(Hd, std=0.1)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = rnd(V, Hd, std=2.0 / math.sqrt(Hd))
    return w


def greedy(cfg, w, prompt_ids, n):
    """Greedy continuation with a KV cache, checked against full recompute; returns ids, min top-2 margin."""
    cache = {}
    logits = decoder_forward(cfg, w, prompt_ids, cache, 0)
    seq = list(prompt_ids)
    out, margin = [], float("inf")
    for _ in range(n):
        last = logits[-1]
        top = torch.topk(last, 2).values
        margin = min(margin, float(top[0] - top[1]))
        nxt = int(torch.argmax(last))
        out.append(nxt)
        full = decoder_forward(cfg, w, seq, {}, 0)[-1]
        assert int(torch.argmax(full)) == nxt, "KV-cache and full recompute disagree"
        assert torch.allclose(full, last, atol=1e-4), float((full - last).abs().max())
        seq.append(nxt)
        logits = decoder_forward(cfg, w, [nxt], cache, len(seq) - 1)
    return out, margin


PROMPT = "Hello, world! RagTune loads Qwen2 checkpoints."
CHAT_PROMPT = "<|im_start|>user\nWhat is RagTune?<|im_end|>\n<|im_start|>assistant\n"
NEW_TOKENS = 24


def make_decoder(name, cfg, tok, seed, dtype=torch.float32, shards=1):
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    prompt_ids = tok.encode(PROMPT)
    chat_ids = tok.encode(CHAT_PROMPT)
    for attempt in range(50):
        g = torch.Generator().manual_seed(seed + attempt)
        w = decoder_weights(cfg, g)
        # The engine converts bf16 to f32 exactly at load, so the reference runs in f32 on the bf16-rounded weights.
        w = {k: v.to(dtype).to(torch.float32) for k, v in w.items()}
        ids, margin = greedy(cfg, w, prompt_ids, NEW_TOKENS)
        chat, margin2 = greedy(cfg, w, chat_ids, NEW_TOKENS)
        # Greedy ids are compared exactly; insist on a clear winner at every step so fp32 summation order cannot flip them.
        if min(margin, margin2) > 2e-3 and len(set(ids)) > 4:
            break
    else:
        raise RuntimeError("no seed gave a clear greedy margin for " + name)
    with torch.no_grad():
        logits = decoder_forward(cfg, w, prompt_ids, {}, 0)
    save_checkpoint(out, w, dtype, shards)
    cfg = dict(cfg)
    cfg["torch_dtype"] = {torch.float32: "float32", torch.bfloat16: "bfloat16"}[dtype]
    write_json(os.path.join(out, "config.json"), cfg)
    write_bpe_tokenizer(out, tok)
    write_json(os.path.join(out, "generation_config.json"), {
        "bos_token_id": cfg["bos_token_id"], "eos_token_id": [tok.special["<|im_end|>"], tok.special["<|endoftext|>"]],
        "do_sample": False, "transformers_version": "4.51.0"})
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_models.py (seed %d); logits are fp32 PyTorch" % (seed + attempt),
        "prompt": PROMPT, "prompt_ids": prompt_ids, "vocab_size": cfg["vocab_size"],
        "logits": [f32_list(r) for r in logits],
        "greedy_ids": ids, "greedy_text": tok.decode(ids), "min_greedy_margin": margin,
        "chat_prompt": CHAT_PROMPT, "chat_prompt_ids": chat_ids, "chat_greedy_ids": chat, "min_chat_greedy_margin": margin2})
    print("%-20s seed %d margin %.4f %s" % (name, seed + attempt, min(margin, margin2), ids[:8]))


def base_decoder_cfg(arch, model_type, tok, **kw):
    cfg = {"architectures": [arch], "model_type": model_type, "hidden_act": "silu", "initializer_range": 0.02,
           "max_position_embeddings": 2048, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "use_cache": True,
           "vocab_size": 512, "bos_token_id": tok.special["<|endoftext|>"], "eos_token_id": tok.special["<|endoftext|>"],
           "attention_dropout": 0.0, "transformers_version": "4.51.0"}
    cfg.update(kw)
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    return cfg


# --------------------------------------------------------------------------------------------------------------------
# Encoder reference (transformers' modeling_bert.py BertModel; XLM-R differs in position ids) + sentence-transformers pooling.

BERT_VOCAB = (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("abcdefghijklmnopqrstuvwxyz0123456789.,!?:;'\"#-")
              + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
              + ["the", "quick", "brown", "fox", "jump", "##s", "over", "lazy", "dog", "hello", "world", "rag", "##tune",
                 "run", "bert", "in", "pure", "model", "document", "search", "is", "a", "engine", "embed", "##ding", "text"])
BERT_TEXTS = ["hello world", "The quick brown fox jumps over the lazy dog.", "RagTune runs BERT in pure C#!",
              "Document search: embeddings 2024"]


def wordpiece_encode(text, vocab):
    # BertTokenizer: lower-case, strip accents, split on whitespace and punctuation, greedy longest-match WordPiece.
    words = []
    for w in text.lower().split():
        cur = ""
        for ch in w:
            if not ch.isalnum():
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    ids = [vocab["[CLS]"]]
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                sub = w[start:end] if start == 0 else "##" + w[start:end]
                if sub in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [vocab["[UNK]"]]
                break
            pieces.append(vocab[sub])
            start = end
        ids.extend(pieces)
    ids.append(vocab["[SEP]"])
    return ids


def layer_norm(x, w, b, eps):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def encoder_forward(cfg, w, ids, mask, token_type_ids=None):
    """ids, mask: [B,T] (mask 1 for real tokens); token_type_ids [B,T] or None (zeros). Returns last_hidden_state [B,T,C]."""
    B, T = ids.shape
    C, H = cfg["hidden_size"], cfg["num_attention_heads"]
    D = C // H
    eps = cfg["layer_norm_eps"]
    if cfg["model_type"] == "xlm-roberta":  # create_position_ids_from_input_ids: padding_idx + cumsum over real tokens
        pad = cfg["pad_token_id"]
        m = ids.ne(pad).int()
        pos = torch.cumsum(m, dim=1) * m + pad
    else:
        pos = torch.arange(T).expand(B, T)
    tt = torch.zeros_like(ids) if token_type_ids is None else token_type_ids
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos] \
        + w["embeddings.token_type_embeddings.weight"][tt]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min  # get_extended_attention_mask

    def lin(x, n):
        return x @ w[n + ".weight"].T + w[n + ".bias"]

    for i in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        q = lin(x, p + "attention.self.query").view(B, T, H, D).transpose(1, 2)
        k = lin(x, p + "attention.self.key").view(B, T, H, D).transpose(1, 2)
        v = lin(x, p + "attention.self.value").view(B, T, H, D).transpose(1, 2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(D) + ext
        a = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = layer_norm(lin(a, p + "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        h = torch.nn.functional.gelu(lin(x, p + "intermediate.dense"))  # ACT2FN["gelu"]: exact erf form
        x = layer_norm(lin(h, p + "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    return x


def pool(hidden, mask, mode, normalize):
    if mode == "cls":
        e = hidden[:, 0]
    else:  # sentence-transformers Pooling, mean mode
        m = mask[:, :, None].float()
        e = (hidden * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    return torch.nn.functional.normalize(e, p=2, dim=1) if normalize else e


def encoder_weights(cfg, g):
    """Random BERT-family encoder weights (embeddings, pooler, layers) without a name prefix."""
    V, C, I, L = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]

    def rnd(*shape, std=0.3):
        return torch.randn(*shape, generator=g) * std

    w = {"embeddings.word_embeddings.weight": rnd(V, C, std=1.0),
         "embeddings.position_embeddings.weight": rnd(cfg["max_position_embeddings"], C, std=0.5),
         "embeddings.token_type_embeddings.weight": rnd(cfg["type_vocab_size"], C, std=0.5),
         "embeddings.LayerNorm.weight": 1 + rnd(C, std=0.1), "embeddings.LayerNorm.bias": rnd(C, std=0.1),
         "pooler.dense.weight": rnd(C, C), "pooler.dense.bias": rnd(C, std=0.1)}
    for i in range(L):
        p = "encoder.layer.%d." % i
        for n, (o, inn) in {"attention.self.query": (C, C), "attention.self.key": (C, C), "attention.self.value": (C, C),
                            "attention.output.dense": (C, C), "intermediate.dense": (I, C), "output.dense": (C, I)}.items():
            w[p + n + ".weight"] = rnd(o, inn, std=1.0 / math.sqrt(inn))
            w[p + n + ".bias"] = rnd(o, std=0.1)
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + n + ".weight"] = 1 + rnd(C, std=0.1)
            w[p + n + ".bias"] = rnd(C, std=0.1)
    return w


def write_wordpiece_tokenizer(out, vocab):
    """vocab.txt, tokenizer.json (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] / [CLS] A [SEP] B [SEP]) and
    tokenizer_config.json for the BERT_VOCAB."""
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(BERT_VOCAB) + "\n")
    write_json(os.path.join(out, "tokenizer.json"), {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for t in ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                                    {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
                           "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ["[CLS]", "[SEP]"]}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                  "vocab": vocab}})
    write_json(os.path.join(out, "tokenizer_config.json"), {"do_lower_case": True, "tokenizer_class": "BertTokenizer",
                                                            "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                                                            "unk_token": "[UNK]", "mask_token": "[MASK]", "model_max_length": 64})


def make_encoder(name, arch, model_type, mode, normalize, seed, prefix=""):
    out = os.path.join(ROOT, name)
    os.makedirs(out, exist_ok=True)
    for root, _, files in os.walk(out):
        for f in files:
            os.remove(os.path.join(root, f))
    vocab = {t: i for i, t in enumerate(BERT_VOCAB)}
    V = 128
    assert len(vocab) <= V
    pad = 0  # XLM-R's real padding_idx is 1; 0 here keeps the WordPiece vocab, positions still start at padding_idx + 1
    cfg = {"architectures": [arch], "model_type": model_type, "hidden_size": 32, "num_hidden_layers": 2,
           "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
           "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 64, "type_vocab_size": 2 if model_type == "bert" else 1,
           "initializer_range": 0.02, "layer_norm_eps": 1e-12, "pad_token_id": pad, "position_embedding_type": "absolute",
           "vocab_size": V, "torch_dtype": "float32", "transformers_version": "4.51.0"}
    w = encoder_weights(cfg, torch.Generator().manual_seed(seed))
    C = cfg["hidden_size"]
    save_checkpoint(out, {prefix + k: v for k, v in w.items()}, torch.float32)
    write_json(os.path.join(out, "config.json"), cfg)
    write_wordpiece_tokenizer(out, vocab)
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
    if normalize:
        modules.append({"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"})
    write_json(os.path.join(out, "modules.json"), modules)
    os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True)
    write_json(os.path.join(out, "1_Pooling", "config.json"), {
        "word_embedding_dimension": C, "pooling_mode_cls_token": mode == "cls", "pooling_mode_mean_tokens": mode == "mean",
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False, "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False, "include_prompt": True})

    # A padded batch of all texts, and each text alone; pooled embeddings must agree.
    ids = [wordpiece_encode(t, vocab) for t in BERT_TEXTS]
    T = max(len(s) for s in ids)
    batch = torch.tensor([s + [pad] * (T - len(s)) for s in ids])
    mask = torch.tensor([[1] * len(s) + [0] * (T - len(s)) for s in ids])
    with torch.no_grad():
        hidden = encoder_forward(cfg, w, batch, mask)
        emb = pool(hidden, mask, mode, normalize)
        for b, s in enumerate(ids):
            alone = pool(encoder_forward(cfg, w, torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long)),
                         torch.ones(1, len(s), dtype=torch.long), mode, normalize)[0]
            assert torch.allclose(alone, emb[b], atol=1e-5), name
    write_golden(os.path.join(out, "golden.json"), {
        "comment": "made by tools/reference/make_tiny_models.py (seed %d); fp32 PyTorch" % seed,
        "texts": BERT_TEXTS, "input_ids": ids, "pooling": mode, "normalize": normalize,
        "last_hidden_state_0": [f32_list(r) for r in hidden[0, :len(ids[0])]],
        "embeddings": [f32_list(e) for e in emb]})
    print("%-20s seed %d ids %s" % (name, seed, ids[1]))


def main():
    torch.set_grad_enabled(False)
    tok = ByteBpe(train_bpe(CORPUS, NUM_MERGES))
    assert tok.decode(tok.encode(PROMPT)) == PROMPT
    assert len(tok.inv) <= 512
    make_decoder("qwen2-tiny", base_decoder_cfg(
        "Qwen2ForCausalLM", "qwen2", tok, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=128, tie_word_embeddings=True, sliding_window=None, use_sliding_window=False, max_window_layers=2), tok, 100)
    qwen3 = base_decoder_cfg(
        "Qwen3ForCausalLM", "qwen3", tok, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        head_dim=16, intermediate_size=96, tie_word_embeddings=False, attention_bias=False, sliding_window=None,
        use_sliding_window=False, max_window_layers=2)
    make_decoder("qwen3-tiny", qwen3, tok, 200)
    make_decoder("qwen3-tiny-bf16", dict(qwen3, tie_word_embeddings=True, attention_bias=True), tok, 300, dtype=torch.bfloat16)
    make_decoder("llama-tiny", base_decoder_cfg(
        "LlamaForCausalLM", "llama", tok, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
        intermediate_size=64, tie_word_embeddings=False, attention_bias=False, mlp_bias=False, rope_theta=500000.0,
        rms_norm_eps=1e-5, pretraining_tp=1,
        rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 256, "rope_type": "llama3"}), tok, 400, shards=2)
    make_decoder("llama-linear-tiny", base_decoder_cfg(
        "LlamaForCausalLM", "llama", tok, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=64, tie_word_embeddings=True, attention_bias=True, mlp_bias=True, rope_theta=10000.0,
        rms_norm_eps=1e-5, rope_scaling={"type": "linear", "factor": 2.0}), tok, 500)
    make_encoder("bert-tiny-cls", "BertModel", "bert", "cls", True, 600)
    make_encoder("bert-tiny-mean", "BertModel", "bert", "mean", False, 700, prefix="bert.")
    make_encoder("xlmr-tiny-mean", "XLMRobertaModel", "xlm-roberta", "mean", True, 800)


if __name__ == "__main__":
    sys.exit(main())
