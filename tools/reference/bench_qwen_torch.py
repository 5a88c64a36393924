# bench_qwen_torch.py -- the PyTorch peer for bench/run-engine.sh: a minimal Qwen2 decoder (adapted from the team's
# shared qwen_torch.py) that loads the SAME random checkpoint our engine runs (config.json + model.safetensors in the
# Hugging Face layout, F32 or BF16 widened to F32) and times prefill of a prompt and greedy decode with a KV cache.
# Single-row products go to torch.mv (BLAS sgemv) so the peer is at its best; F.linear with M=1 is far slower on
# Debian's torch 1.13. Prints the other processes' share of the machine's CPU during each run.
# usage: OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS=2 /usr/bin/python3 bench_qwen_torch.py DIR {prefill|decode} [--threads 2]
import argparse, json, math, os, resource, statistics, struct, time
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("model"); p.add_argument("mode", choices=["prefill", "decode"]); p.add_argument("--threads", type=int, default=2)
p.add_argument("--prompt", type=int, default=256); p.add_argument("--gen", type=int, default=64); p.add_argument("--trials", type=int, default=3)
args = p.parse_args()
torch.set_num_threads(args.threads)
cfg = json.load(open(os.path.join(args.model, "config.json")))
H, NH, NKV, I, V = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["intermediate_size"], cfg["vocab_size"]
HD, L, EPS, THETA = H // NH, cfg["num_hidden_layers"], cfg["rms_norm_eps"], cfg["rope_theta"]

def cpu_sample():  # (machine total jiffies, machine busy jiffies, own jiffies)
    v = [int(x) for x in open('/proc/stat').readline().split()[1:]]
    s = open('/proc/self/stat').read().rsplit(')', 1)[1].split()
    return sum(v), sum(v) - v[3] - v[4], int(s[11]) + int(s[12])
def others(a, b): return max(0, (b[1] - a[1]) - (b[2] - a[2])) / max(1, b[0] - a[0])

def load_safetensors(path):  # {name: float32 tensor}; the format is an 8-byte header length, JSON header, raw data
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n)); data = bytearray(f.read())
    out = {}
    for name, t in header.items():
        if name == "__metadata__": continue
        a, b = t["data_offsets"]; dt = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}[t["dtype"]]
        out[name] = torch.frombuffer(data, dtype=dt, offset=a, count=(b - a) // torch.empty(0, dtype=dt).element_size()).view(t["shape"]).float()
    return out

class RMSNorm(nn.Module):
    def __init__(s, w): super().__init__(); s.w = w
    def forward(s, x): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * s.w

def lin(w, b, x):  # single rows through torch.mv (sgemv), as the shared peer script's --mv
    if x.shape[-2] == 1:
        y = torch.mv(w, x.reshape(-1)); y = y if b is None else y + b
        return y.view(*x.shape[:-1], -1)
    return F.linear(x, w, b)

def rope(max_pos):
    inv = 1.0 / (THETA ** (torch.arange(0, HD, 2).float() / HD))
    f = torch.outer(torch.arange(max_pos).float(), inv); e = torch.cat([f, f], -1)
    return e.cos(), e.sin()
def rot_half(x): x1, x2 = x.chunk(2, -1); return torch.cat([-x2, x1], -1)

W = load_safetensors(os.path.join(args.model, "model.safetensors"))
def g(name): return W.get(name)

class Layer:
    def __init__(s, i):
        p = f"model.layers.{i}."
        s.ln1, s.ln2 = RMSNorm(g(p + "input_layernorm.weight")), RMSNorm(g(p + "post_attention_layernorm.weight"))
        s.q = (g(p + "self_attn.q_proj.weight"), g(p + "self_attn.q_proj.bias"))
        s.k = (g(p + "self_attn.k_proj.weight"), g(p + "self_attn.k_proj.bias"))
        s.v = (g(p + "self_attn.v_proj.weight"), g(p + "self_attn.v_proj.bias"))
        s.o = (g(p + "self_attn.o_proj.weight"), None)
        s.gate, s.up, s.down = [(g(p + f"mlp.{n}_proj.weight"), None) for n in ("gate", "up", "down")]
    def __call__(s, x, cos, sin, pos0, cache):
        B, T, _ = x.shape; h = s.ln1(x)
        q = lin(*s.q, h).view(B, T, NH, HD).transpose(1, 2)
        k = lin(*s.k, h).view(B, T, NKV, HD).transpose(1, 2)
        v = lin(*s.v, h).view(B, T, NKV, HD).transpose(1, 2)
        c, sn = cos[pos0:pos0 + T], sin[pos0:pos0 + T]
        q = q * c + rot_half(q) * sn; k = k * c + rot_half(k) * sn
        kc, vc = cache; kc[:, :, pos0:pos0 + T] = k; vc[:, :, pos0:pos0 + T] = v
        k, v = kc[:, :, :pos0 + T], vc[:, :, :pos0 + T]
        S = k.shape[2]
        k = k.repeat_interleave(NH // NKV, 1); v = v.repeat_interleave(NH // NKV, 1)  # GQA
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        if T > 1: att = att + torch.full((T, S), float('-inf')).triu(S - T + 1)
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, NH * HD)
        x = x + lin(*s.o, y)
        h = s.ln2(x)
        return x + lin(*s.down, F.silu(lin(*s.gate, h)) * lin(*s.up, h))

emb = g("model.embed_tokens.weight"); layers = [Layer(i) for i in range(L)]; norm = RMSNorm(g("model.norm.weight"))
cos, sin = rope(args.prompt + args.gen)
def forward(ids, pos0, caches):  # logits of the last position only (tied lm_head)
    x = emb[ids]
    for l, c in zip(layers, caches): x = l(x, cos, sin, pos0, c)
    return torch.mv(emb, norm(x[:, -1:]).reshape(-1))
def new_caches(): return [(torch.zeros(1, NKV, args.prompt + args.gen, HD), torch.zeros(1, NKV, args.prompt + args.gen, HD)) for _ in layers]

print(f"torch {torch.__version__} threads={torch.get_num_threads()} layers={L} model={args.model}", flush=True)
ids = (torch.arange(args.prompt) * 7919 + 13).remainder(V).view(1, -1)
def stats(name, rates, oth, unit):
    r = sorted(rates)
    print(f"{name:48s} median {r[len(r)//2]:9.2f} {unit}  best {r[-1]:.2f}  worst {r[0]:.2f}  (others' CPU: {' '.join(f'{100*o:.0f}%' for o in oth)} of machine)", flush=True)
with torch.inference_mode():
    forward(ids, 0, new_caches())  # warm-up
    rates, oth = [], []
    for _ in range(args.trials):
        caches = new_caches()
        if args.mode == "prefill":
            a = cpu_sample(); t = time.perf_counter(); forward(ids, 0, caches)
            rates.append(args.prompt / (time.perf_counter() - t)); oth.append(others(a, cpu_sample()))
        else:
            tok = forward(ids, 0, caches).argmax().view(1, 1)
            a = cpu_sample(); t = time.perf_counter()
            for i in range(args.gen): tok = forward(tok, args.prompt + i, caches).argmax().view(1, 1)
            rates.append(args.gen / (time.perf_counter() - t)); oth.append(others(a, cpu_sample()))
    name = f"prefill {args.prompt} tokens (last-token logits)" if args.mode == "prefill" else f"decode {args.gen} tokens (ctx {args.prompt}->{args.prompt + args.gen})"
    stats(name, rates, oth, "tok/s")
print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024:.0f} MiB")
