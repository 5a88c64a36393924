#!/usr/bin/python3
# Writes a vocab-only GGUF with a "t5" (UGM, SentencePiece Unigram) tokenizer, as llama.cpp's convert_hf_to_gguf.py
# writes T5's (tokens, scores, token types from the spm piece types, add_space_prefix, remove_extra_whitespaces,
# precompiled_charsmap as a uint8 array), and the ids llama.cpp's own llama-tokenize gives for make_unigram_tokenizers.py's
# texts. Run after make_unigram_tokenizers.py, with llama.cpp built at /tmp/llama:
#   PYTHONPATH=/tmp/llama/src/gguf-py /usr/bin/python3 tools/reference/make_ugm_gguf.py
#
# The vocabulary is the unigram-bytes spm model (small user rule charsmap, byte pieces that llama.cpp's UGM never
# matches). Output: tests/RagTune.Engine.Tests/TestData/tokenizers/unigram-bytes/ugm-vocab.gguf and ugm-golden.json.
import json
import os
import subprocess
import sys

import gguf
from sentencepiece import sentencepiece_model_pb2 as model_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_unigram_tokenizers import ROOT, TEXTS, write_golden  # noqa: E402

TOKENIZE = os.environ.get("LLAMA_TOKENIZE", "/tmp/llama/build/bin/llama-tokenize")


def main():
    out = os.path.join(ROOT, "unigram-bytes")
    proto = model_pb2.ModelProto()
    with open(os.path.join(out, "spm.model"), "rb") as f:
        proto.ParseFromString(f.read())
    path = os.path.join(out, "ugm-vocab.gguf")
    w = gguf.GGUFWriter(path, "t5encoder")
    w.add_name("ugm-vocab")
    w.add_context_length(64)
    w.add_embedding_length(8)
    w.add_feed_forward_length(16)
    w.add_head_count(2)
    w.add_key_length(4)
    w.add_value_length(4)
    w.add_block_count(1)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_relative_attn_buckets_count(32)
    w.add_tokenizer_model("t5")
    w.add_token_list([p.piece.encode("utf-8") for p in proto.pieces])
    w.add_token_scores([p.score for p in proto.pieces])
    w.add_token_types([p.type for p in proto.pieces])  # spm's NORMAL=1 … BYTE=6 are llama_token_type's values
    w.add_add_space_prefix(proto.normalizer_spec.add_dummy_prefix)
    w.add_remove_extra_whitespaces(proto.normalizer_spec.remove_extra_whitespaces)
    w.add_precompiled_charsmap(proto.normalizer_spec.precompiled_charsmap)
    w.add_unk_token_id(proto.trainer_spec.unk_id)
    w.add_eos_token_id(proto.trainer_spec.eos_id)
    w.add_add_bos_token(False)
    w.add_add_eos_token(True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    ids = []
    for text in TEXTS:
        r = subprocess.run([TOKENIZE, "-m", path, "--stdin", "--ids", "--no-escape", "--log-disable"],
                           input=text.encode("utf-8"), capture_output=True, check=True)
        ids.append(json.loads(r.stdout.decode("utf-8").strip().splitlines()[-1]))
    write_golden(os.path.join(out, "ugm-golden.json"), {
        "comment": "made by tools/reference/make_ugm_gguf.py: ids from llama.cpp's llama-tokenize (UGM vocabulary, no "
                   "special tokens added) for ugm-vocab.gguf",
        "texts": TEXTS, "ids": ids})
    print("ugm-vocab.gguf: %d bytes, %d texts" % (os.path.getsize(path), len(ids)))


if __name__ == "__main__":
    sys.exit(main())
