#!/usr/bin/python3
# Golden data for `ragtune export gguf`, from llama.cpp itself (built from node-llama-cpp@3.22.1's source, as
# bench/run-engine.sh does; default location /tmp/llama: libllama.so, its headers and gguf-py). For each tiny random
# checkpoint in tests/RagTune.Engine.Tests/TestData/gguf-export/<name>/ (config.json committed; weights generated here and,
# identically, by the C# tests from a SplitMix64 stream seeded by the tensor name, so nothing large is committed):
#   1. export it with RagTune's CLI as f32, f16, q8_0 and q4_k_m;
#   2. llama.cpp loads each f16/q8_0/q4_k_m file, tokenises the prompt and decodes it; the token ids and the last
#      token's logits are recorded (llama_cpp_golden.c: libllama's public API, float32 KV cache, one thread);
#   3. llama.cpp's quantiser (llama_model_quantize, what llama-quantize calls) turns the f32 export into Q4_K_M, Q8_0 and
#      F16; the ggml type and SHA-256 of every tensor's data are recorded (read with llama.cpp's own gguf-py), so the C#
#      test proves RagTune's quantisers give llama-quantize's bytes.
# Writes golden.json beside each config.json. CI never runs this; it needs /usr/bin/python3 + numpy, gcc, dotnet and
# llama.cpp. usage: tools/reference/gguf_export_llamacpp.py [--llama /tmp/llama]
import argparse, hashlib, json, os, shutil, struct, subprocess, sys, tempfile

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "RagTune.Engine.Tests", "TestData", "gguf-export")
TOKENIZER_FROM = os.path.join(ROOT, "tests", "RagTune.Engine.Tests", "TestData", "models", "qwen2-tiny")
TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]
PROMPT = "Hello, world! RagTune loads Qwen2 checkpoints."
EXPORT_TYPES = ["f16", "q8_0", "q4_k_m"]
QUANTIZE_FTYPES = {"q4_k_m": 15, "q8_0": 7, "f16": 1}  # llama_ftype

MASK = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def splitmix64(seed, n):
    # The same stream as ExportFixtureModels.cs: state += golden gamma, then the SplitMix64 finaliser.
    with np.errstate(over="ignore"):
        state = (np.uint64(seed) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z = state
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def tensor_values(name, count):
    """Uniform in [-s, s) as float32: u = top 24 bits · 2^-24, v = (2u - 1)·s; norms 1 + 0.1·(2u - 1)."""
    u = (splitmix64(fnv1a64(name), count) >> np.uint64(40)).astype(np.float32) * np.float32(2.0 ** -24)
    x = u * np.float32(2) - np.float32(1)
    if name.endswith("norm.weight") or (name.endswith(".weight") and ".ln_" in name):  # GPT-2's ln_1/ln_2/ln_f
        return np.float32(1) + np.float32(0.1) * x
    if name.endswith(".bias"):
        return np.float32(0.05) * x
    return np.float32(0.1) * x


def expected_tensors(cfg):
    if cfg["architectures"][0] == "GPT2LMHeadModel":
        # modeling_gpt2.py's names: Conv1D weights stored [in, out], biases everywhere, LayerNorms with biases, tied lm_head.
        c, v, p_ = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
        i = cfg.get("n_inner") or 4 * c
        out = [("transformer.wte.weight", [v, c]), ("transformer.wpe.weight", [p_, c])]
        for l in range(cfg["n_layer"]):
            p = "transformer.h.%d." % l
            out += [(p + "ln_1.weight", [c]), (p + "ln_1.bias", [c]),
                    (p + "attn.c_attn.weight", [c, 3 * c]), (p + "attn.c_attn.bias", [3 * c]),
                    (p + "attn.c_proj.weight", [c, c]), (p + "attn.c_proj.bias", [c]),
                    (p + "ln_2.weight", [c]), (p + "ln_2.bias", [c]),
                    (p + "mlp.c_fc.weight", [c, i]), (p + "mlp.c_fc.bias", [i]),
                    (p + "mlp.c_proj.weight", [i, c]), (p + "mlp.c_proj.bias", [c])]
        return out + [("transformer.ln_f.weight", [c]), ("transformer.ln_f.bias", [c])]
    c, h, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim", c // h)
    i, v = cfg["intermediate_size"], cfg["vocab_size"]
    arch = cfg["architectures"][0]
    if arch == "InternLM2ForCausalLM":
        # modeling_internlm2.py's names: packed wqkv [(H + 2·KV)·D, C], no biases (bias: false), untied output.
        out = [("model.tok_embeddings.weight", [v, c])]
        for l in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % l
            out += [(p + "attention_norm.weight", [c]), (p + "attention.wqkv.weight", [(h + 2 * kv) * d, c]),
                    (p + "attention.wo.weight", [c, h * d]), (p + "ffn_norm.weight", [c]),
                    (p + "feed_forward.w1.weight", [i, c]), (p + "feed_forward.w3.weight", [i, c]),
                    (p + "feed_forward.w2.weight", [c, i])]
        return out + [("model.norm.weight", [c]), ("output.weight", [v, c])]
    qkv_bias = arch == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    o_bias = arch != "Qwen2ForCausalLM" and cfg.get("attention_bias", False)
    out = [("model.embed_tokens.weight", [v, c])]
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        out.append((p + "input_layernorm.weight", [c]))
        for proj, rows, cols, bias in [("q_proj", h * d, c, qkv_bias), ("k_proj", kv * d, c, qkv_bias),
                                       ("v_proj", kv * d, c, qkv_bias), ("o_proj", c, h * d, o_bias)]:
            out.append((p + "self_attn.%s.weight" % proj, [rows, cols]))
            if bias:
                out.append((p + "self_attn.%s.bias" % proj, [rows]))
        if arch == "Qwen3ForCausalLM":
            out.append((p + "self_attn.q_norm.weight", [d]))
            out.append((p + "self_attn.k_norm.weight", [d]))
        out.append((p + "post_attention_layernorm.weight", [c]))
        for proj, rows, cols in [("gate_proj", i, c), ("up_proj", i, c), ("down_proj", c, i)]:
            out.append((p + "mlp.%s.weight" % proj, [rows, cols]))
    out.append(("model.norm.weight", [c]))
    if not cfg.get("tie_word_embeddings", False):
        out.append(("lm_head.weight", [v, c]))
    return out


def write_checkpoint(fixture, out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(fixture, "config.json")) as f:
        cfg = json.load(f)
    shutil.copy(os.path.join(fixture, "config.json"), out)
    for name in TOKENIZER_FILES:
        shutil.copy(os.path.join(TOKENIZER_FROM, name), out)
    header, blobs, offset = {}, [], 0
    for name, shape in expected_tensors(cfg):
        data = tensor_values(name, int(np.prod(shape))).astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tensor_hashes(path, gguf):
    reader = gguf.GGUFReader(path)
    return {t.name: {"type": t.tensor_type.name, "sha256": hashlib.sha256(bytes(t.data.tobytes())).hexdigest()}
            for t in reader.tensors}


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    return subprocess.run(cmd, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama", default="/tmp/llama")
    ap.add_argument("--only", help="comma-separated fixture names (default: all)")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(args.llama, "src", "gguf-py"))
    import gguf  # llama.cpp's own GGUF reader
    bin_dir = os.path.join(args.llama, "build", "bin")
    tool = os.path.join(tempfile.mkdtemp(prefix="llama-cpp-golden-"), "llama_cpp_golden")
    run(["gcc", "-O1", "-o", tool, os.path.join(ROOT, "tools", "reference", "llama_cpp_golden.c"),
         "-I" + os.path.join(args.llama, "src", "include"), "-I" + os.path.join(args.llama, "src", "ggml", "include"),
         "-L" + bin_dir, "-lllama", "-lggml", "-lggml-base", "-Wl,-rpath," + bin_dir])
    run(["dotnet", "build", os.path.join(ROOT, "src", "RagTune.Cli"), "-c", "Release", "-v", "q"])
    cli = os.path.join(ROOT, "src", "RagTune.Cli", "bin", "Release", "net10.0", "ragtune.dll")
    only = set(args.only.split(",")) if args.only else None
    for name in sorted(os.listdir(FIXTURES)):
        if only is not None and name not in only:
            continue
        fixture = os.path.join(FIXTURES, name)
        if not os.path.isfile(os.path.join(fixture, "config.json")):
            continue
        work = tempfile.mkdtemp(prefix="gguf-export-")
        ckpt = os.path.join(work, name)
        write_checkpoint(fixture, ckpt)
        golden = {"comment": "made by tools/reference/gguf_export_llamacpp.py with llama.cpp from node-llama-cpp@3.22.1",
                  "prompt": PROMPT, "input_f32": {}, "llama_quantize": {}, "llama_cpp": {}}
        f32 = os.path.join(work, "f32.gguf")
        run(["dotnet", cli, "export", "gguf", "--model", ckpt, "--type", "f32", "--out", f32, "--no-modelfile"])
        golden["input_f32"] = tensor_hashes(f32, gguf)
        for ours, ftype in QUANTIZE_FTYPES.items():
            q = os.path.join(work, "llama-quantize-%s.gguf" % ours)
            run([tool, "quantize", f32, q, str(ftype)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            golden["llama_quantize"][ours] = tensor_hashes(q, gguf)
        for t in EXPORT_TYPES:
            path = os.path.join(work, "%s.gguf" % t)
            run(["dotnet", cli, "export", "gguf", "--model", ckpt, "--type", t, "--out", path, "--no-modelfile"])
            logits_file, tokens_file = path + ".logits", path + ".tokens"
            run([tool, "logits", path, PROMPT, logits_file, tokens_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            logits = np.fromfile(logits_file, dtype="<f4")
            tokens = np.fromfile(tokens_file, dtype="<i4")
            golden["llama_cpp"][t] = {"token_ids": [int(x) for x in tokens], "last_logits": [float(x) for x in logits]}
        with open(os.path.join(fixture, "golden.json"), "w") as f:
            json.dump(golden, f, indent=1)
            f.write("\n")
        print("%s: %d tensors, prompt %d tokens" % (name, len(golden["input_f32"]), len(golden["llama_cpp"]["f16"]["token_ids"])))
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
