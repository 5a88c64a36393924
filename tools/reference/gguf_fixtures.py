# gguf_fixtures.py -- writes RagTune's GGUF fixtures (tests/RagTune.Engine.Tests/Fixtures/gguf) with llama.cpp itself:
# tiny random decoders of each architecture llama.cpp and RagTune share (llama with a SentencePiece-style vocabulary,
# qwen2 and qwen3 with byte-level BPE), written as F32 GGUF with gguf-py exactly as convert_hf_to_gguf lays them out
# (LLaMA's q/k rows permuted for llama.cpp's interleaved RoPE), then
#   - converted to Q8_0, Q4_0, Q4_K_M (Q4_K + Q6_K), Q5_K_M (Q5_K + Q6_K), F16 and BF16 by libllama's
#     llama_model_quantize with llama-quantize's default parameters (the function that tool calls; gguf_logits quantize),
#   - run by gguf_logits (a small C++ program against libllama, built here) for a fixed prompt: prompt ids, logits at
#     every prompt position, 8 greedy steps and their logits  -> <name>.expected.json,
#   - dequantised back to F32 by llama.cpp and run again: prompt logits of the exact weights, and the largest gap between
#     llama.cpp's quantised and exact runs (its activations are rounded to 8 bits)  -> <name>.dequantized.json,
#   - dequantised by gguf-py (gguf.quants.dequantize, llama.cpp's Python twin of ggml-quants.c): the first row and the
#     sum of every tensor -> <name>.tensors.json.
# "small" models (hidden 256, 2 layers, ffn 512) fit the K-quants' 256-weight super-blocks; "micro" ones (hidden 64,
# 1 layer) carry the float types. Weights are scaled so logits spread over several units (greedy margins well above
# llama.cpp's q8 activation rounding).
# usage: /usr/bin/python3 gguf_fixtures.py LLAMA_CPP_DIR OUT_DIR [arch-size ...]   (LLAMA_CPP_DIR has src/ and build/bin/)
import json, os, re, subprocess, sys, tempfile
import numpy as np

llama_dir, out_dir = sys.argv[1:3]
sys.path.insert(0, os.path.join(llama_dir, "src", "gguf-py"))
import gguf  # noqa: E402  (from llama.cpp's source tree)
from gguf import quants  # noqa: E402

bin_dir = os.path.join(llama_dir, "build", "bin")
os.makedirs(out_dir, exist_ok=True)
work = tempfile.mkdtemp(prefix="gguf-fixtures-")

CORPUS = ("The quick brown fox jumps over the lazy dog. A lazy dog sleeps in the sun, and the quick fox runs home. "
          "Documents about devices: the router has a battery, the sensor reads the temperature, the manual says "
          "to charge the battery before use. Questions and answers quote the source.")
N_PREDICT = 8

# ---- tokenizers -------------------------------------------------------------------------------------------------
def train_merges(words, n):
    """Plain BPE on a word-frequency table of symbol tuples: the n most frequent adjacent pairs, in order."""
    words = dict(words)
    merges = []
    for _ in range(n):
        pairs = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] = pairs.get((a, b), 0) + c
        if not pairs: break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        new = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1]); i += 2
                else:
                    out.append(w[i]); i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges

def spm_vocab():
    """llama (SentencePiece BPE): <unk> <s> </s>, 256 byte tokens, the corpus' characters, 48 merged pieces; score = -rank."""
    words = {}
    for w in CORPUS.split(" "):
        key = tuple("\u2581" + w)
        words[key] = words.get(key, 0) + 1
    chars = sorted({c for w in words for c in w})
    merges = train_merges(words, 48)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + chars + [a + b for a, b in merges]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256 \
        + [gguf.TokenType.NORMAL] * (len(chars) + len(merges))
    scores = [0.0, 0.0, 0.0] + [0.0] * 256 + [-1000.0 - i for i in range(len(chars))] + [-float(i) for i in range(len(merges))]
    return tokens, types, scores

def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

def bpe_vocab():
    """gpt2/qwen2 byte-level BPE: the 256 byte characters, 48 merges learned on the corpus, then the Qwen specials."""
    b2u = bytes_to_unicode()
    words = {}
    for w in re.findall(r" ?[A-Za-z]+| ?[^A-Za-z ]+", CORPUS):
        key = tuple(b2u[b] for b in w.encode("utf-8"))
        words[key] = words.get(key, 0) + 1
    merges = train_merges(words, 48)
    tokens = [b2u[b] for b in range(256)] + [a + b for a, b in merges] + ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    types = [gguf.TokenType.NORMAL] * (256 + len(merges)) + [gguf.TokenType.CONTROL] * 3
    return tokens, types, [f"{a} {b}" for a, b in merges]

QWEN_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                 "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
QWEN3_TEMPLATE = QWEN_TEMPLATE + "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"

# ---- models -----------------------------------------------------------------------------------------------------
def permute(w, n_head):
    """convert_hf_to_gguf's LlamaModel.permute: rows of each head reordered for llama.cpp's interleaved RoPE."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)

def write_f32(path, arch, seed, hidden, layers, ffn, heads, kv_heads, head_dim, tied):
    rng = np.random.default_rng(seed)
    if arch == "llama":
        tokens, types, scores = spm_vocab()
    else:
        tokens, types, merges = bpe_vocab()
    V = len(tokens)
    q, kv = heads * head_dim, kv_heads * head_dim
    def mat(rows, cols, gain=1.0):
        return (rng.standard_normal((rows, cols)) * gain / np.sqrt(cols)).astype(np.float32)
    def vec(n, mean=0.0, sd=0.1):
        return (mean + sd * rng.standard_normal(n)).astype(np.float32)
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"ragtune-fixture-{arch}")
    w.add_context_length(256); w.add_embedding_length(hidden); w.add_block_count(layers)
    w.add_feed_forward_length(ffn); w.add_head_count(heads); w.add_head_count_kv(kv_heads)
    w.add_rope_freq_base(10000.0 if arch == "llama" else 1000000.0); w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_dimension_count(head_dim)
    if arch == "qwen3":
        w.add_key_length(head_dim); w.add_value_length(head_dim)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_token_list(tokens); w.add_token_types(types)
    if arch == "llama":
        w.add_tokenizer_model("llama"); w.add_tokenizer_pre("default"); w.add_token_scores(scores)
        w.add_bos_token_id(1); w.add_eos_token_id(2); w.add_unk_token_id(0); w.add_add_bos_token(True)
    else:
        w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("qwen2"); w.add_token_merges(merges)
        w.add_bos_token_id(V - 3); w.add_eos_token_id(V - 1); w.add_pad_token_id(V - 3); w.add_add_bos_token(False)
        w.add_chat_template(QWEN3_TEMPLATE if arch == "qwen3" else QWEN_TEMPLATE)
    # Embeddings small against the layers' residual contributions: a tied lm_head would otherwise mostly echo the last input.
    w.add_tensor("token_embd.weight", (0.3 * rng.standard_normal((V, hidden))).astype(np.float32))
    w.add_tensor("output_norm.weight", vec(hidden, 1.0))
    if not tied:
        w.add_tensor("output.weight", mat(V, hidden, 4.0))
    if arch == "llama":
        # LLaMA-3.1-style RoPE scaling as convert_hf_to_gguf stores it: one divisor per frequency.
        w.add_tensor("rope_freqs.weight", (1.0 + 7.0 * rng.random(head_dim // 2)).astype(np.float32))
    for i in range(layers):
        p = f"blk.{i}."
        wq, wk = mat(q, hidden), mat(kv, hidden)
        if arch == "llama":
            wq, wk = permute(wq, heads), permute(wk, kv_heads)
        w.add_tensor(p + "attn_norm.weight", vec(hidden, 1.0))
        w.add_tensor(p + "attn_q.weight", wq); w.add_tensor(p + "attn_k.weight", wk)
        w.add_tensor(p + "attn_v.weight", mat(kv, hidden)); w.add_tensor(p + "attn_output.weight", mat(hidden, q, 3.0))
        if arch == "qwen2":
            w.add_tensor(p + "attn_q.bias", vec(q)); w.add_tensor(p + "attn_k.bias", vec(kv)); w.add_tensor(p + "attn_v.bias", vec(kv))
        if arch == "qwen3":
            w.add_tensor(p + "attn_q_norm.weight", vec(head_dim, 1.0)); w.add_tensor(p + "attn_k_norm.weight", vec(head_dim, 1.0))
        w.add_tensor(p + "ffn_norm.weight", vec(hidden, 1.0))
        w.add_tensor(p + "ffn_gate.weight", mat(ffn, hidden)); w.add_tensor(p + "ffn_up.weight", mat(ffn, hidden))
        w.add_tensor(p + "ffn_down.weight", mat(hidden, ffn, 3.0))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()

# ---- llama.cpp runs ---------------------------------------------------------------------------------------------
def build_dumper():
    exe = os.path.join(work, "gguf_logits")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gguf_logits.cpp")
    inc = [f"-I{os.path.join(llama_dir, 'src', d)}" for d in ("include", "ggml/include")]
    subprocess.run(["g++", "-O2", "-std=c++17", src, *inc, f"-L{bin_dir}", f"-Wl,-rpath,{bin_dir}",
                    "-lllama", "-lggml", "-lggml-base", "-o", exe], check=True)
    return exe

def dump_tensors(path, out):
    reader = gguf.GGUFReader(path)
    result = {}
    for t in reader.tensors:
        values = quants.dequantize(t.data, t.tensor_type).astype(np.float64).reshape(-1)
        row = int(t.shape[0])   # GGUF's ne0: the length of one row
        result[t.name] = {"type": t.tensor_type.name, "shape": [int(d) for d in reversed(t.shape)],
                          "row0": [float(f"{v:.8g}") for v in values[:min(row, 256)]], "sum": float(values.sum()), "abs_sum": float(np.abs(values).sum())}
    json.dump(result, open(out, "w"))

PROMPTS = {
    "llama": "The quick brown fox jumps over the lazy dog. The router has a battery, naïve.",
    "qwen2": "<|im_start|>user\nThe quick brown fox jumps over the lazy dog. The sensor reads the temperature.<|im_end|>\n<|im_start|>assistant\n",
    "qwen3": "<|im_start|>user\nThe manual says to charge the battery before use, café.<|im_end|>\n<|im_start|>assistant\n",
}

FILES = [
    # (architecture, size, seed, quantisations); size: (hidden, layers, ffn, heads, kv_heads, head_dim, tied)
    ("llama", "micro", 11, (64, 1, 128, 4, 2, 16, False), ["F32"]),
    ("qwen2", "micro", 12, (64, 1, 128, 4, 2, 16, True), ["F16"]),
    ("qwen3", "micro", 13, (64, 1, 128, 4, 2, 32, False), ["BF16"]),
    ("llama", "small", 21, (256, 2, 512, 4, 2, 64, False), ["Q4_K_M", "Q8_0"]),
    ("qwen2", "small", 22, (256, 2, 512, 4, 2, 64, True), ["Q4_K_M", "Q4_0"]),
    ("qwen3", "small", 23, (256, 2, 512, 4, 2, 128, False), ["Q4_K_M", "Q5_K_M"]),
    # Rows of 320 and 640 weights are not whole 256-weight super-blocks: llama-quantize falls back per tensor
    # (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0), as it does for Qwen2.5-0.5B's hidden size 896; Q4_1 as a file type.
    ("qwen2", "odd", 24, (320, 2, 640, 5, 1, 64, True), ["Q4_K_M", "Q4_1"]),
    ("qwen3", "odd", 25, (320, 2, 640, 5, 1, 64, False), ["Q5_K_M"]),
]
# Optional names after OUT_DIR ("qwen2-odd" ...): only those files are written (the others stay as committed).
only = set(sys.argv[3:])

dumper = build_dumper()
for arch, size, seed, shape, types in FILES:
    if only and f"{arch}-{size}" not in only:
        continue
    f32 = os.path.join(work, f"{arch}-{size}-f32.gguf")
    write_f32(f32, arch, seed, *shape)
    for qt in types:
        name = f"{arch}-{size}-{qt.lower()}"
        target = os.path.join(out_dir, name + ".gguf")
        if qt == "F32":
            subprocess.run(["cp", f32, target], check=True)
        else:
            subprocess.run([dumper, "quantize", f32, target, qt], check=True, capture_output=True)
        with open(os.path.join(out_dir, name + ".expected.json"), "w") as out:
            subprocess.run([dumper, target, str(N_PREDICT), PROMPTS[arch]], check=True, stdout=out, stderr=subprocess.DEVNULL)
        if qt != "F32":
            # The same weights dequantised to F32 by llama.cpp (exact) and run again: the reference for an exact forward,
            # and llama.cpp's own gap between its quantised arithmetic and exact weights, which bounds how close any
            # other implementation can be to its quantised run.
            exact = os.path.join(work, name + "-dequantized.gguf")
            subprocess.run([dumper, "quantize", target, exact, "F32"], check=True, capture_output=True)
            run = json.loads(subprocess.run([dumper, exact, str(N_PREDICT), PROMPTS[arch]], check=True, capture_output=True, text=True).stdout)
            quantised = json.load(open(os.path.join(out_dir, name + ".expected.json")))
            assert run["prompt_ids"] == quantised["prompt_ids"]
            a, b = np.array(run["prompt_logits"]), np.array(quantised["prompt_logits"])
            gap = float((np.abs(a - b).max(axis=1) / np.abs(a).max(axis=1)).max())
            json.dump({"prompt_ids": run["prompt_ids"], "prompt_logits": [[float(f"{v:.7g}") for v in row] for row in run["prompt_logits"]],
                       "quantised_run_gap": gap}, open(os.path.join(out_dir, name + ".dequantized.json"), "w"), separators=(",", ":"))
            print(f"{name}: llama.cpp quantised vs dequantised prompt logits differ by up to {gap:.4f} of the row's max |logit|")
        dump_tensors(target, os.path.join(out_dir, name + ".tensors.json"))
        print(f"wrote {name}: {os.path.getsize(target)} bytes")
