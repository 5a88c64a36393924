# qwen2_tokenizer_json.py -- writes a Hugging Face tokenizer.json (byte-level BPE, Qwen2's pre-tokenizer) from the Qwen2
# vocab.json + merges.txt + tokenizer_config.json in shared/testdata/tokenizers/qwen2, into the benchmark's random
# Qwen2.5-0.5B-shaped checkpoint, so that `ragtune export gguf` can write the GGUF that llama-batched-bench loads
# (the exporter reads the vocabulary from tokenizer.json). The ids above the vocabulary are padded by the exporter.
# usage: /usr/bin/python3 qwen2_tokenizer_json.py QWEN2_TOKENIZER_DIR MODEL_DIR
import json, os, sys

src, dst = sys.argv[1:3]
vocab = json.load(open(os.path.join(src, "vocab.json"), encoding="utf-8"))
merges = [line.rstrip("\n") for line in open(os.path.join(src, "merges.txt"), encoding="utf-8")
          if line.strip() and not line.startswith("#version")]
config = json.load(open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8"))
added = [{"id": int(i), "content": t["content"], "single_word": False, "lstrip": False, "rstrip": False,
          "normalized": False, "special": t.get("special", True)} for i, t in config["added_tokens_decoder"].items()]
pattern = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
tokenizer = {
    "version": "1.0",
    "added_tokens": added,
    "normalizer": {"type": "NFC"},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
    "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
    "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
              "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": merges},
}
json.dump(tokenizer, open(os.path.join(dst, "tokenizer.json"), "w", encoding="utf-8"), ensure_ascii=False)
config_out = {k: v for k, v in config.items() if k != "chat_template"}
json.dump(config_out, open(os.path.join(dst, "tokenizer_config.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=1)
print(f"{dst}/tokenizer.json: {len(vocab)} tokens, {len(merges)} merges, {len(added)} added")
