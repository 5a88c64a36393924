# bench_gguf.py -- converts the benchmark's random Qwen2 checkpoint (config.json + F32 model.safetensors, HF layout)
# into an F32 GGUF that llama.cpp's llama-bench loads, so the peer runs the very same weights; llama-quantize then
# makes the F16 and Q8_0 files. The checkpoint has no tokenizer, so the GGUF gets a placeholder byte-level vocabulary
# of vocab_size tokens (llama-bench only draws random token ids below the vocabulary size).
# usage: /usr/bin/python3 bench_gguf.py MODEL_DIR OUT.gguf LLAMA_CPP_SOURCE_DIR
import json, os, struct, sys
import numpy as np

model_dir, out_path, llama_src = sys.argv[1:4]
sys.path.insert(0, os.path.join(llama_src, "gguf-py"))
import gguf  # noqa: E402  (from llama.cpp's source tree)

cfg = json.load(open(os.path.join(model_dir, "config.json")))
path = os.path.join(model_dir, "model.safetensors")
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n))
data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
def tensor(name):
    t = header[name]; a, b = t["data_offsets"]
    if t["dtype"] != "F32": raise SystemExit(f"{path}: {name} is {t['dtype']}, expected F32 (convert the f32 checkpoint)")
    return np.frombuffer(data[a:b], dtype=np.float32).reshape(t["shape"])

w = gguf.GGUFWriter(out_path, "qwen2")
w.add_name("ragtune-bench-qwen2.5-0.5b-shape-random")
w.add_context_length(cfg.get("max_position_embeddings", 32768))
w.add_embedding_length(cfg["hidden_size"]); w.add_block_count(cfg["num_hidden_layers"])
w.add_feed_forward_length(cfg["intermediate_size"]); w.add_head_count(cfg["num_attention_heads"])
w.add_head_count_kv(cfg["num_key_value_heads"]); w.add_rope_freq_base(cfg["rope_theta"])
w.add_layer_norm_rms_eps(cfg["rms_norm_eps"]); w.add_file_type(gguf.LlamaFileType.ALL_F32)
V = cfg["vocab_size"]
w.add_tokenizer_model("gpt2"); w.add_tokenizer_pre("qwen2")
w.add_token_list([f"<t{i}>" for i in range(V)]); w.add_token_types([gguf.TokenType.NORMAL] * V)
w.add_token_merges(["< t"]); w.add_bos_token_id(0); w.add_eos_token_id(1); w.add_add_bos_token(False)
names = {"input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
         "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
         "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
         "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
         "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
         "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight"}
w.add_tensor("token_embd.weight", tensor("model.embed_tokens.weight"))
w.add_tensor("output_norm.weight", tensor("model.norm.weight"))
for i in range(cfg["num_hidden_layers"]):
    for hf, gg in names.items():
        w.add_tensor(f"blk.{i}.{gg}", tensor(f"model.layers.{i}.{hf}"))
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
print(f"wrote {out_path}")
