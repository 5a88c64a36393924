"""PyTorch cross-check of the synthetic RAFT benchmark's learning dynamics (not part of CI).

Trains the benchmark's student shape (Qwen2 layout: RMSNorm, RoPE, SwiGLU, tied embeddings, N(0, 0.02) init) on the chat
JSONL the benchmark writes, with the same loss (assistant tokens + <|im_end|>), AdamW, warm-up then constant lr and grad
clipping, and prints the training loss and the answer accuracy (every answer token argmax-correct under teacher forcing,
which for a bare "<ANSWER>: value" answer equals greedy exact match) on held-out files.

  /usr/bin/python3 tools/reference/raft_probe.py --model DIR/base --train DIR/data/raft_stage2_k4.jsonl \
      --eval test_k4.jsonl --steps 3000 --lr 1e-3
"""
import argparse, json, math, random, re, time
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen2's pre-tokenizer pattern restricted to ASCII text (the English benchmark world is ASCII).
PRE = re.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\w]?[A-Za-z]+|\d| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def byte_map():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs, n = {}, 0
    for b in range(256):
        if b in bs:
            cs[b] = chr(b)
        else:
            cs[b] = chr(256 + n); n += 1
    return cs


class WordTokenizer:
    def __init__(self, path):
        j = json.load(open(path, encoding="utf-8"))
        self.vocab = dict(j["model"]["vocab"])
        for t in j["added_tokens"]:
            self.vocab[t["content"]] = t["id"]
        self.size = max(self.vocab.values()) + 1
        self.bm = byte_map()
        self.split = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

    def encode(self, text):
        ids = []
        for part in self.split.split(text):
            if not part:
                continue
            if part in SPECIALS:
                ids.append(self.vocab[part]); continue
            for m in PRE.finditer(part):
                w = "".join(self.bm[b] for b in m.group(0).encode("utf-8"))
                if w in self.vocab:
                    ids.append(self.vocab[w])
                else:
                    ids.extend(self.vocab[c] for c in w)
        return ids


def load(path, tok):
    out = []
    for line in open(path, encoding="utf-8"):
        msgs = json.loads(line)["messages"]
        user, answer = msgs[0]["content"], msgs[1]["content"]
        prompt = tok.encode(f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
        target = tok.encode(answer + "<|im_end|>")
        out.append((prompt + target, len(prompt)))
    return out


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__(); self.w = nn.Parameter(torch.ones(d)); self.eps = eps

    def forward(self, x):
        return self.w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


def rope(x, cos, sin):
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Block(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.h, self.hd = heads, d // heads
        self.n1, self.n2 = RMSNorm(d), RMSNorm(d)
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.o = nn.Linear(d, d, bias=False)
        self.gate, self.up, self.down = nn.Linear(d, ffn, bias=False), nn.Linear(d, ffn, bias=False), nn.Linear(ffn, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        h = self.n1(x)
        q = self.q(h).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k(h).view(B, T, self.h, self.hd).transpose(1, 2)
        v = self.v(h).view(B, T, self.h, self.hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd) + mask
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.o(y)
        h = self.n2(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Student(nn.Module):
    def __init__(self, vocab, d, layers, heads, ffn):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.blocks = nn.ModuleList(Block(d, heads, ffn) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.hd = d // heads
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0, 0.02)
                if isinstance(m, nn.Linear) and m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, ids):
        B, T = ids.shape
        inv = 1.0 / (10000 ** (torch.arange(0, self.hd, 2).float() / self.hd))
        f = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat([f, f], -1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = self.emb(ids)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.norm(x) @ self.emb.weight.T


def batchify(examples, pad):
    T = max(len(s) for s, _ in examples)
    ids = torch.full((len(examples), T), pad, dtype=torch.long)
    labels = torch.full((len(examples), T), -100, dtype=torch.long)
    for i, (s, p) in enumerate(examples):
        ids[i, :len(s)] = torch.tensor(s)
        labels[i, p:len(s)] = torch.tensor(s[p:])
    return ids, labels


def loss_of(model, ids, labels):
    logits = model(ids)[:, :-1]
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100), logits


@torch.no_grad()
def accuracy(model, data, pad, batch=64):
    model.eval(); right = 0
    for i in range(0, len(data), batch):
        ids, labels = batchify(data[i:i + batch], pad)
        _, logits = loss_of(model, ids, labels)
        y = labels[:, 1:]
        ok = (logits.argmax(-1) == y) | (y == -100)
        right += ok.all(-1).sum().item()
    model.train()
    return right / len(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True); ap.add_argument("--train", required=True, nargs="+")
    ap.add_argument("--stage-steps", type=int, nargs="+"); ap.add_argument("--eval", nargs="*", default=[])
    ap.add_argument("--steps", type=int, default=3000); ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=16); ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=int); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--every", type=int, default=250); ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.manual_seed(a.seed); random.seed(a.seed); torch.set_num_threads(a.threads)
    cfg = json.load(open(f"{a.model}/config.json"))
    tok = WordTokenizer(f"{a.model}/tokenizer.json")
    d = a.hidden or cfg["hidden_size"]
    model = Student(tok.size, d, a.layers or cfg["num_hidden_layers"], cfg["num_attention_heads"], 2 * d if a.hidden else cfg["intermediate_size"])
    stages = [load(p, tok) for p in a.train]
    steps = a.stage_steps or [a.steps]
    evals = {p.split("/")[-1]: load(p, tok) for p in a.eval}
    pad = tok.vocab["<|endoftext|>"]
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    total, step, t0, run = sum(steps), 0, time.time(), []
    for data, n in zip(stages, steps):
        for _ in range(n):
            lr = a.lr * min(1.0, (step + 1) / 100)
            for g in opt.param_groups: g["lr"] = lr
            ids, labels = batchify(random.sample(data, a.batch), pad)
            loss, _ = loss_of(model, ids, labels)
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
            run.append(loss.item()); step += 1
            if step % a.every == 0 or step == total:
                acc = " ".join(f"{k}={100 * accuracy(model, v[:300], pad):.1f}%" for k, v in evals.items())
                print(f"step {step} loss {sum(run) / len(run):.3f} {acc} ({time.time() - t0:.0f}s)", flush=True); run = []


if __name__ == "__main__":
    main()
