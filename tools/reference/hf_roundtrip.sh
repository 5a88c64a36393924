#!/bin/sh
# Round trip of what RagTune saves into the reference loader: (1) the `ragtune` CLI fine-tunes the tiny fixtures (full
# Qwen2 / Qwen3 / LLaMA, a LoRA adapter on Qwen2 that `adapter merge` folds in, and `train lsr` query encoders: a full
# BERT with a bert. prefix and a FEATURE_EXTRACTION LoRA adapter) and saves them into
# tests/RagTune.Engine.Tests/TestData/training/hf-roundtrip/; (2) hf_roundtrip.py loads each folder the way transformers /
# PEFT would and writes golden.json (logits for fixed ids + what it checked); (3) HfRoundTripTests compare in C#.
# Run from the repository root: sh tools/reference/hf_roundtrip.sh   (needs dotnet and /usr/bin/python3 with torch).
set -eu
OUT=tests/RagTune.Engine.Tests/TestData/training/hf-roundtrip
MODELS=tests/RagTune.Engine.Tests/TestData/models
RUN=$(mktemp -d)
trap 'rm -rf "$RUN"' EXIT
dotnet build src/RagTune.Cli -c Release -v q -nologo >/dev/null
ragtune() { dotnet src/RagTune.Cli/bin/Release/net10.0/ragtune.dll "$@"; }
COMMON="--data $OUT/train.jsonl --batch-size 2 --grad-accum 1 --max-steps 8 --lr 0.01 --warmup-steps 0 --scheduler constant --seed 42 --quiet"
for pair in qwen2-full:qwen2-tiny qwen3-full:qwen3-tiny llama-full:llama-tiny; do
  name=${pair%%:*}; base=${pair#*:}
  ragtune train full --model $MODELS/$base --output "$RUN/$name" $COMMON >/dev/null
  rm -rf "$OUT/$name"; cp -r "$RUN/$name/model" "$OUT/$name"
done
ragtune train sft --model $MODELS/qwen2-tiny --output "$RUN/lora" --lora-rank 4 --lora-alpha 8 --lora-dropout 0 $COMMON >/dev/null
rm -rf "$OUT/qwen2-lora" "$OUT/qwen2-lora-merged"; cp -r "$RUN/lora/adapter" "$OUT/qwen2-lora"
ragtune adapter merge "$OUT/qwen2-lora" --model $MODELS/qwen2-tiny --output "$RUN/merged" >/dev/null
cp -r "$RUN/merged" "$OUT/qwen2-lora-merged"
LSR="--generator $MODELS/qwen2-tiny --data $OUT/lsr.jsonl --epochs 5 --lr 0.003 --seed 42"
ragtune train lsr --retriever $MODELS/bert-tiny-mean --output "$RUN/lsr-full" $LSR 2>/dev/null >/dev/null
rm -rf "$OUT/bert-lsr-full"; cp -r "$RUN/lsr-full/query_encoder" "$OUT/bert-lsr-full"
ragtune train lsr --retriever $MODELS/bert-tiny-cls --output "$RUN/lsr-lora" --lora --lora-rank 4 --lora-alpha 8 $LSR 2>/dev/null >/dev/null
rm -rf "$OUT/bert-lsr-lora"; cp -r "$RUN/lsr-lora/query_adapter" "$OUT/bert-lsr-lora"
/usr/bin/python3 tools/reference/hf_roundtrip.py
