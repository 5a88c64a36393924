#!/usr/bin/python3
# Loads the checkpoints and the PEFT adapter that RagTune saved (tools/reference/hf_roundtrip.sh puts them in
# tests/RagTune.Engine.Tests/TestData/training/hf-roundtrip/) the way transformers 4.51 and PEFT 0.15 load them, failing
# loudly where they would fail or — worse — silently re-initialise a weight; then writes golden.json with the logits of
# fixed ids for the C# test (HfRoundTripTests) and a record of what was checked.
#   transformers: config.json → <Arch>Config (class defaults, then the file's keys); safetensors header validation and
#   metadata format "pt"; state-dict keys and shapes against the architecture (missing → would be randomly initialised,
#   unexpected → ignored, shape → error); tied lm_head; torch_dtype against the stored dtypes; tokenizer files.
#   PEFT: adapter_config.json → LoraConfig (unknown fields, peft_type, r, lora_alpha, use_rslora, target_modules);
#   keys base_model.model.<module>.lora_{A,B}.weight → module must exist in the base and be a target; A [r, in], B [out, r];
#   y = W x + b + B(A x) · alpha/r (alpha/√r with rsLoRA), applied unmerged, and merged (W + s·B·A).
# The forward is make_tiny_models.decoder_forward (a transcription of modeling_{qwen2,qwen3,llama}.py, eager, fp32).
# Run: /usr/bin/python3 tools/reference/hf_roundtrip.py   (torch only). CI never runs this; its output is committed.
import hashlib
import json
import math
import os
import re
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_tiny_models import BERT_TEXTS, decoder_forward, encoder_forward, pool, wordpiece_encode, write_golden  # noqa: E402

HERE = os.path.dirname(__file__)
MODELS = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "models"))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "RagTune.Engine.Tests", "TestData", "training", "hf-roundtrip"))
IDS = [506, 12, 300, 77, 1, 505, 42, 260]   # fixed ids, specials included

# What save_pretrained writes for these classes in transformers 4.51: the class's __init__ arguments (all of them, since
# to_diff_dict keeps every key the base PretrainedConfig lacks) with their defaults, plus the keys every config carries.
DEFAULTS = {
    "qwen2": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=32, hidden_act="silu", max_position_embeddings=32768, initializer_range=0.02,
                  rms_norm_eps=1e-6, use_cache=True, tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None,
                  use_sliding_window=False, sliding_window=4096, max_window_layers=28, attention_dropout=0.0),
    "qwen3": dict(vocab_size=151936, hidden_size=4096, intermediate_size=22016, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=32, head_dim=128, hidden_act="silu", max_position_embeddings=32768, initializer_range=0.02,
                  rms_norm_eps=1e-6, use_cache=True, tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None,
                  attention_bias=False, use_sliding_window=False, sliding_window=4096, max_window_layers=28, attention_dropout=0.0),
    "llama": dict(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                  num_key_value_heads=None, hidden_act="silu", max_position_embeddings=2048, initializer_range=0.02,
                  rms_norm_eps=1e-6, pretraining_tp=1, use_cache=True, pad_token_id=None, bos_token_id=1, eos_token_id=2,
                  tie_word_embeddings=False, rope_theta=10000.0, rope_scaling=None, attention_bias=False,
                  attention_dropout=0.0, mlp_bias=False, head_dim=None),
    "bert": dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                 hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, max_position_embeddings=512,
                 type_vocab_size=2, initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
                 position_embedding_type="absolute", use_cache=True, classifier_dropout=None),
}
ARCH = {"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM", "bert": "BertModel"}
ALWAYS_WRITTEN = ["architectures", "model_type", "torch_dtype", "transformers_version"]
# Keys whose transformers default would silently give a different model if the file lacked them.
SHAPE_KEYS = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "hidden_act"]
SHAPE_KEYS_OF = {"bert": SHAPE_KEYS + ["layer_norm_eps", "max_position_embeddings", "type_vocab_size"]}
DECODER_SHAPE_KEYS = SHAPE_KEYS + ["num_key_value_heads", "rms_norm_eps", "rope_theta", "tie_word_embeddings"]
ST_DTYPES = {"F32": (torch.float32, 4), "BF16": (torch.bfloat16, 2), "F16": (torch.float16, 2)}
TORCH_DTYPE = {"F32": "float32", "BF16": "bfloat16", "F16": "float16"}
# PEFT 0.15 LoraConfig fields (PeftConfig's included): anything else in adapter_config.json is not a LoRA setting.
LORA_FIELDS = {"peft_type", "task_type", "base_model_name_or_path", "revision", "inference_mode", "auto_mapping", "r",
               "target_modules", "exclude_modules", "lora_alpha", "lora_dropout", "fan_in_fan_out", "bias", "use_rslora",
               "modules_to_save", "init_lora_weights", "layers_to_transform", "layers_pattern", "rank_pattern", "alpha_pattern",
               "megatron_config", "megatron_core", "trainable_token_indices", "loftq_config", "eva_config", "corda_config",
               "use_dora", "layer_replication", "runtime_config", "lora_bias"}
TASK_TYPES = {"SEQ_CLS", "SEQ_2_SEQ_LM", "CAUSAL_LM", "TOKEN_CLS", "QUESTION_ANS", "FEATURE_EXTRACTION"}


def fail(where, msg):
    sys.exit("hf_roundtrip: %s: %s" % (where, msg))


def read_safetensors(path):
    """safetensors' own validation: header length, JSON, metadata format, dtype × shape = span, spans contiguous from 0 to EOF."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    if 8 + n > len(raw):
        fail(path, "header length %d runs past the file" % n)
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    if meta is None or meta.get("format") not in ("pt", "tf", "flax", "mlx"):
        fail(path, "__metadata__.format is %r; transformers' load_state_dict refuses anything but pt/tf/flax/mlx" % (meta,))
    spans = []
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in ST_DTYPES:
            fail(path, "%s: dtype %s" % (name, info["dtype"]))
        dtype, size = ST_DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        if e - b != math.prod(info["shape"]) * size:
            fail(path, "%s: %d bytes for shape %s %s" % (name, e - b, info["shape"], info["dtype"]))
        spans.append((b, e, name))
        buf = bytearray(data[b:e])
        t = torch.frombuffer(buf, dtype=torch.int16).view(dtype) if dtype == torch.bfloat16 else torch.frombuffer(buf, dtype=dtype)
        tensors[name] = (info["dtype"], t.reshape(info["shape"]).clone())
    spans.sort()
    pos = 0
    for b, e, name in spans:
        if b != pos:
            fail(path, "%s starts at %d, expected %d (holes or overlaps are invalid)" % (name, b, pos))
        pos = e
    if pos != len(data):
        fail(path, "tensors cover %d bytes of %d" % (pos, len(data)))
    return tensors


def load_state_dict(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        weight_map = json.load(open(index))["weight_map"]
        files = sorted(set(weight_map.values()))
    else:
        weight_map, files = None, ["model.safetensors"]
    state = {}
    for fname in files:
        part = read_safetensors(os.path.join(folder, fname))
        for name in part:
            if weight_map is not None and weight_map.get(name) != fname:
                fail(folder, "%s is in %s but the index says %s" % (name, fname, weight_map.get(name)))
        state.update(part)
    if weight_map is not None and set(weight_map) != set(state):
        fail(folder, "index names %d tensors, files hold %d" % (len(weight_map), len(state)))
    return state


def load_config(folder):
    raw = json.load(open(os.path.join(folder, "config.json")))
    mt = raw.get("model_type")
    if mt not in DEFAULTS:
        fail(folder, "model_type %r is not one of %s" % (mt, sorted(DEFAULTS)))
    if raw.get("architectures") != [ARCH[mt]]:
        fail(folder, "architectures %r, expected [%r] for model_type %s" % (raw.get("architectures"), ARCH[mt], mt))
    # pad/bos/eos live in the base PretrainedConfig (default None): written only when set.
    written = (set(DEFAULTS[mt]) - {"pad_token_id", "bos_token_id", "eos_token_id"}) | set(ALWAYS_WRITTEN)
    missing = sorted(k for k in written if k not in raw)
    for k in SHAPE_KEYS_OF.get(mt, DECODER_SHAPE_KEYS):
        if k not in raw:
            fail(folder, "config.json lacks %s; transformers would use its default %r" % (k, DEFAULTS[mt].get(k)))
    cfg = dict(DEFAULTS[mt])
    cfg.update(raw)
    checks = {"missing_written_keys": missing, "extra_keys": sorted(k for k in raw if k not in written and k not in
                                                                    ("bos_token_id", "eos_token_id", "pad_token_id"))}
    if mt == "bert":
        return cfg, checks
    if cfg["num_key_value_heads"] is None:
        cfg["num_key_value_heads"] = cfg["num_attention_heads"]
    if cfg.get("head_dim") is None:
        # modeling_qwen2: getattr(config, "head_dim", hidden // heads); LlamaConfig: head_dim or hidden // heads
        cfg["head_dim"] = cfg["hidden_size"] // cfg["num_attention_heads"]
    rs = cfg.get("rope_scaling")
    if rs is not None and "type" in rs and "rope_type" not in rs:
        rs["rope_type"] = rs["type"]   # rope_config_validation's backward compatibility
    return cfg, checks


def expected_shapes(cfg):
    mt = cfg["model_type"]
    Hd, H, KV, D, I, V = (cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"],
                          cfg["intermediate_size"], cfg["vocab_size"])
    qkv_bias = mt == "qwen2" or cfg.get("attention_bias", False)
    o_bias = mt != "qwen2" and cfg.get("attention_bias", False)
    mlp_bias = cfg.get("mlp_bias", False)
    s = {"model.embed_tokens.weight": [V, Hd], "model.norm.weight": [Hd]}
    if not cfg["tie_word_embeddings"]:
        s["lm_head.weight"] = [V, Hd]
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        s[p + "input_layernorm.weight"] = [Hd]
        s[p + "post_attention_layernorm.weight"] = [Hd]
        for n, shape in (("q_proj", [H * D, Hd]), ("k_proj", [KV * D, Hd]), ("v_proj", [KV * D, Hd])):
            s[p + "self_attn." + n + ".weight"] = shape
            if qkv_bias:
                s[p + "self_attn." + n + ".bias"] = [shape[0]]
        s[p + "self_attn.o_proj.weight"] = [Hd, H * D]
        if o_bias:
            s[p + "self_attn.o_proj.bias"] = [Hd]
        if mt == "qwen3":
            s[p + "self_attn.q_norm.weight"] = [D]
            s[p + "self_attn.k_norm.weight"] = [D]
        for n, shape in (("gate_proj", [I, Hd]), ("up_proj", [I, Hd]), ("down_proj", [Hd, I])):
            s[p + "mlp." + n + ".weight"] = shape
            if mlp_bias:
                s[p + "mlp." + n + ".bias"] = [shape[0]]
    return s


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def check_state(folder, cfg, state, shapes, ignored=frozenset()):
    """_load_pretrained_model's verdict: missing keys would be randomly initialised (only a warning there, an error here),
    unexpected ones ignored, a shape mismatch raises; and the config's torch_dtype must be the stored dtype. Returns the dtypes."""
    missing = sorted(set(shapes) - set(state))
    unexpected = sorted(set(state) - set(shapes) - set(ignored))
    if missing:
        fail(folder, "weights missing (transformers would initialise them randomly): %s" % missing)
    if unexpected:
        fail(folder, "unexpected weights (transformers would ignore them): %s" % unexpected)
    for name, shape in shapes.items():
        if list(state[name][1].shape) != shape:
            fail(folder, "%s has shape %s, the config implies %s" % (name, list(state[name][1].shape), shape))
    dtypes = sorted({d for d, _ in state.values()})
    if [TORCH_DTYPE[d] for d in dtypes] != [cfg.get("torch_dtype")]:
        fail(folder, "torch_dtype %r but the tensors are %s" % (cfg.get("torch_dtype"), dtypes))
    return dtypes


def same_side_files(folder, base_fixture, names):
    for f in names:
        if not os.path.exists(os.path.join(folder, f)):
            fail(folder, "%s is missing" % f)
        if sha256(os.path.join(folder, f)) != sha256(os.path.join(MODELS, base_fixture, f)):
            fail(folder, "%s differs from the base model's" % f)


def bert_shapes(cfg):
    C, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    s = {"embeddings.word_embeddings.weight": [V, C], "embeddings.position_embeddings.weight": [cfg["max_position_embeddings"], C],
         "embeddings.token_type_embeddings.weight": [cfg["type_vocab_size"], C], "embeddings.LayerNorm.weight": [C],
         "embeddings.LayerNorm.bias": [C], "pooler.dense.weight": [C, C], "pooler.dense.bias": [C]}
    for i in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        for n, (o, inn) in {"attention.self.query": (C, C), "attention.self.key": (C, C), "attention.self.value": (C, C),
                            "attention.output.dense": (C, C), "intermediate.dense": (I, C), "output.dense": (C, I)}.items():
            s[p + n + ".weight"] = [o, inn]
            s[p + n + ".bias"] = [o]
        for n in ("attention.output.LayerNorm", "output.LayerNorm"):
            s[p + n + ".weight"] = [C]
            s[p + n + ".bias"] = [C]
    return s


def load_sentence_transformer(folder, base_fixture):
    """SentenceTransformer(folder): modules.json → Transformer (AutoModel = BertModel, pooler included) → Pooling → Normalize?"""
    cfg, record = load_config(folder)
    state = load_state_dict(folder)
    # transformers' base_model_prefix handling: a BertModel loaded from "bert."-prefixed keys strips the prefix.
    if any(k.startswith("bert.") for k in state):
        if not all(k.startswith("bert.") for k in state):
            fail(folder, "some keys carry the bert. prefix and some do not; transformers would drop the unprefixed ones")
        state = {k[len("bert."):]: v for k, v in state.items()}
        record["prefix"] = "bert."
    dtypes = check_state(folder, cfg, state, bert_shapes(cfg))
    same_side_files(folder, base_fixture, ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "modules.json", "1_Pooling/config.json"])
    modules = json.load(open(os.path.join(folder, "modules.json")))
    pooling = json.load(open(os.path.join(folder, "1_Pooling", "config.json")))
    mode = "cls" if pooling["pooling_mode_cls_token"] else "mean"
    normalize = any(m["type"].endswith("Normalize") for m in modules)
    record.update({"model_type": "bert", "tensors": len(state), "dtypes": dtypes, "pooling": mode, "normalize": normalize})
    return cfg, {k: t.float() for k, (_, t) in state.items()}, (mode, normalize), record


def embeddings_of(cfg, w, pooling, folder):
    vocab = {line.rstrip("\n"): i for i, line in enumerate(open(os.path.join(folder, "vocab.txt"), encoding="utf-8"))}
    ids = [wordpiece_encode(t, vocab) for t in BERT_TEXTS]
    T = max(len(x) for x in ids)
    batch = torch.tensor([x + [0] * (T - len(x)) for x in ids])
    mask = torch.tensor([[1] * len(x) + [0] * (T - len(x)) for x in ids])
    return ids, pool(encoder_forward(cfg, w, batch, mask), mask, *pooling)


def load_pretrained(folder, base_fixture):
    """AutoModelForCausalLM.from_pretrained(folder) as far as the files decide it; returns (cfg, fp32 weights, record)."""
    cfg, record = load_config(folder)
    state = load_state_dict(folder)
    # A tied model's lm_head.weight, if present, is ignored (it is in _tied_weights_keys); ours writes none.
    dtypes = check_state(folder, cfg, state, expected_shapes(cfg), {"lm_head.weight"} if cfg["tie_word_embeddings"] else set())
    # Tokenizer: AutoTokenizer reads tokenizer.json + tokenizer_config.json; they must be the base's, unchanged.
    same_side_files(folder, base_fixture, ["tokenizer.json", "tokenizer_config.json"])
    tok = json.load(open(os.path.join(folder, "tokenizer.json")))
    top = max(list(tok["model"]["vocab"].values()) + [t["id"] for t in tok["added_tokens"]])
    if top >= cfg["vocab_size"]:
        fail(folder, "token id %d ≥ vocab_size %d" % (top, cfg["vocab_size"]))
    record.update({"model_type": cfg["model_type"], "tensors": len(state), "dtypes": dtypes,
                   "tied_lm_head": bool(cfg["tie_word_embeddings"]), "sharded": os.path.exists(os.path.join(folder, "model.safetensors.index.json"))})
    return cfg, {k: t.float() for k, (_, t) in state.items()}, record


def logits_of(cfg, w):
    return decoder_forward(cfg, w, IDS, {}, 0)


class LoraWeight:
    """Stands for W in decoder_forward's `x @ W.T`: computes x Wᵀ + s·(x Aᵀ) Bᵀ without forming W + s·B·A (PEFT's unmerged path)."""

    def __init__(self, w, a, b, scale):
        self.w, self.a, self.b, self.scale = w, a, b, scale

    @property
    def T(self):
        return self

    def __rmatmul__(self, x):
        return x @ self.w.T + ((x @ self.a.T) @ self.b.T) * self.scale


def load_peft(folder, cfg, w):
    raw = json.load(open(os.path.join(folder, "adapter_config.json")))
    unknown = sorted(set(raw) - LORA_FIELDS)
    if unknown:
        fail(folder, "adapter_config.json fields LoraConfig does not have: %s" % unknown)
    if raw.get("peft_type") != "LORA" or raw.get("task_type") not in TASK_TYPES:
        fail(folder, "peft_type %r / task_type %r" % (raw.get("peft_type"), raw.get("task_type")))
    for f in ("r", "lora_alpha", "target_modules"):
        if f not in raw:
            fail(folder, "adapter_config.json lacks %s" % f)
    if raw.get("use_dora") or raw.get("fan_in_fan_out") or raw.get("bias", "none") != "none" or raw.get("modules_to_save"):
        fail(folder, "settings this check does not model: %r" % raw)
    r, alpha = raw["r"], raw["lora_alpha"]
    scale = alpha / math.sqrt(r) if raw.get("use_rslora") else alpha / r
    targets = raw["target_modules"]
    state = read_safetensors(os.path.join(folder, "adapter_model.safetensors"))
    pairs = {}
    for key, (dtype, t) in state.items():
        m = re.fullmatch(r"base_model\.model\.(.+)\.lora_([AB])\.weight", key)
        if not m:
            fail(folder, "%s is not base_model.model.<module>.lora_A/B.weight (PEFT would not map it)" % key)
        module, ab = m.groups()
        if module + ".weight" not in w:
            fail(folder, "%s: the base model has no module %s" % (key, module))
        if module.split(".")[-1] not in targets:
            fail(folder, "%s: %s is not in target_modules %s" % (key, module, targets))
        pairs.setdefault(module, {})[ab] = t.float()
    for module, p in pairs.items():
        out_f, in_f = w[module + ".weight"].shape
        if set(p) != {"A", "B"} or list(p["A"].shape) != [r, in_f] or list(p["B"].shape) != [out_f, r]:
            fail(folder, "%s: lora_A %s, lora_B %s; expected [%d, %d] and [%d, %d]" % (
                module, list(p.get("A", torch.empty(0)).shape), list(p.get("B", torch.empty(0)).shape), r, in_f, out_f, r))
    unmerged = dict(w)
    merged = dict(w)
    for module, p in pairs.items():
        unmerged[module + ".weight"] = LoraWeight(w[module + ".weight"], p["A"], p["B"], scale)
        merged[module + ".weight"] = w[module + ".weight"] + scale * (p["B"] @ p["A"])
    record = {"r": r, "lora_alpha": alpha, "scaling": scale, "use_rslora": bool(raw.get("use_rslora")), "modules": len(pairs),
              "task_type": raw["task_type"], "max_abs_B": max(float(p["B"].abs().max()) for p in pairs.values())}
    return unmerged, merged, record


def rows(t):
    return [[float("%.8g" % x) for x in row] for row in t.tolist()]


def main():
    golden = {"ids": IDS}
    for name, base in (("qwen2-full", "qwen2-tiny"), ("qwen3-full", "qwen3-tiny"), ("llama-full", "llama-tiny")):
        cfg, w, record = load_pretrained(os.path.join(OUT, name), base)
        _, base_w, _ = load_pretrained(os.path.join(MODELS, base), base)
        record["max_abs_weight_change"] = max(float((w[k] - base_w[k]).abs().max()) for k in w)
        if record["max_abs_weight_change"] < 1e-3:
            fail(name, "the fine-tune changed no weight measurably; the check would prove nothing")
        golden[name] = {"checks": record, "logits": rows(logits_of(cfg, w))}
        print(name, record)

    cfg, base_w, _ = load_pretrained(os.path.join(MODELS, "qwen2-tiny"), "qwen2-tiny")
    unmerged, merged, record = load_peft(os.path.join(OUT, "qwen2-lora"), cfg, base_w)
    lu, lm = logits_of(cfg, unmerged), logits_of(cfg, merged)
    record["unmerged_vs_merged_max_abs"] = float((lu - lm).abs().max())
    mcfg, ours, mrec = load_pretrained(os.path.join(OUT, "qwen2-lora-merged"), "qwen2-tiny")
    record["our_merge_vs_reference_merge_max_abs_weight"] = max(float((ours[k] - merged[k]).abs().max()) for k in ours)
    record["our_merged_checkpoint"] = mrec
    record["logits_change_from_base"] = float((lu - logits_of(cfg, base_w)).abs().max())
    if record["unmerged_vs_merged_max_abs"] > 1e-4 or record["our_merge_vs_reference_merge_max_abs_weight"] > 1e-6:
        fail("qwen2-lora", "merged and unmerged disagree: %r" % record)
    if record["logits_change_from_base"] < 1e-2:
        fail("qwen2-lora", "the adapter barely changes the logits; the check would prove nothing")
    golden["qwen2-lora"] = {"checks": record, "unmerged_logits": rows(lu), "merged_logits": rows(lm),
                            "our_merged_checkpoint_logits": rows(logits_of(mcfg, ours))}
    print("qwen2-lora", record)

    cfg, w, pooling, record = load_sentence_transformer(os.path.join(OUT, "bert-lsr-full"), "bert-tiny-mean")
    _, base_w, _, _ = load_sentence_transformer(os.path.join(MODELS, "bert-tiny-mean"), "bert-tiny-mean")
    record["max_abs_weight_change"] = max(float((w[k] - base_w[k]).abs().max()) for k in w)
    record["pooler_unchanged"] = bool(torch.equal(w["pooler.dense.weight"], base_w["pooler.dense.weight"]))
    if record["max_abs_weight_change"] < 1e-3:
        fail("bert-lsr-full", "LSR changed no weight measurably; the check would prove nothing")
    ids, emb = embeddings_of(cfg, w, pooling, os.path.join(OUT, "bert-lsr-full"))
    golden["bert-lsr-full"] = {"checks": record, "input_ids": ids, "embeddings": rows(emb)}
    print("bert-lsr-full", record)

    cfg, base_w, pooling, _ = load_sentence_transformer(os.path.join(MODELS, "bert-tiny-cls"), "bert-tiny-cls")
    unmerged, merged, record = load_peft(os.path.join(OUT, "bert-lsr-lora"), cfg, base_w)
    ids, eu = embeddings_of(cfg, unmerged, pooling, os.path.join(MODELS, "bert-tiny-cls"))
    _, em = embeddings_of(cfg, merged, pooling, os.path.join(MODELS, "bert-tiny-cls"))
    _, eb = embeddings_of(cfg, base_w, pooling, os.path.join(MODELS, "bert-tiny-cls"))
    record["unmerged_vs_merged_max_abs"] = float((eu - em).abs().max())
    record["embedding_change_from_base"] = float((eu - eb).abs().max())
    if record["unmerged_vs_merged_max_abs"] > 1e-5 or record["embedding_change_from_base"] < 1e-3:
        fail("bert-lsr-lora", "merged/unmerged disagree or the adapter changes nothing: %r" % record)
    golden["bert-lsr-lora"] = {"checks": record, "input_ids": ids, "unmerged_embeddings": rows(eu)}
    print("bert-lsr-lora", record)
    write_golden(os.path.join(OUT, "golden.json"), golden)


if __name__ == "__main__":
    main()
