#!/usr/bin/env bash
# The data stage of `kinyu study cpt` for a GPU machine that has no corpus stack (datatrove, MeCab) and no
# ../shared: build it here, then keep only what training and scoring read (token shards, tokenizers,
# corpus summaries and manifests, the fixed evaluation sets) in a folder small enough to travel.
#   bash benchmarks/gpu_study_inputs.sh CONFIG.yaml OUT_DIR      # e.g. configs/study/cpt_gpu_100m.yaml .gpu_study/gpu100m
# then, on the GPU machine, from the same folder: kinyu study cpt --config CONFIG.yaml --out OUT_DIR
set -euo pipefail
config=$1 out=$2
full="${out%/}.full"
kinyu study cpt --config "$config" --out "$full" --data-only
rm -rf "$out" && mkdir -p "$out/data" "$out/eval_sets"
cp "$full/data/manifest.json" "$out/data/"
for run in "$full"/data/*/; do
  name=$(basename "$run")
  [[ -f "$run/manifest.json" ]] || continue
  mkdir -p "$out/data/$name/stats"
  cp -r "$run/tokens" "$run/tokenizer" "$out/data/$name/"
  cp "$run/manifest.json" "$run/config.yaml" "$out/data/$name/"
  cp "$run/stats/summary.json" "$out/data/$name/stats/"
done
for s in finance finance_kept general; do mkdir -p "$out/eval_sets/$s" && cp "$full/eval_sets/$s/texts.jsonl" "$out/eval_sets/$s/"; done
cp "$full/eval_sets/manifest.json" "$out/eval_sets/"
du -sh "$out"
