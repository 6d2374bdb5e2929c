#!/usr/bin/env bash
# The GPU figures kinyu has not measured yet, in one run on one CUDA machine (H100/H200 for the goals):
#   1. benchmarks/train_throughput.py --preset 1b --precision bf16 --zero 2: tokens/s, MFU, loader/trainer,
#      peak GPU memory next to `kinyu train plan`'s estimate for the same config
#   2. a short `kinyu train` from a local HF folder at ZeRO-2 and at ZeRO-3 (bf16, SDPA/flash, FusedAdam)
#   3. the ZeRO-3 run killed after its first checkpoint and resumed: the resumed losses vs the uninterrupted ones
#   4. `kinyu eval --device cuda` (bits per character) on the ZeRO-3 run's export
# Run from the repository root with kinyu's dependencies installed:
#   bash benchmarks/gpu_check.sh                 # figures under $OUT (default runs/gpu_check)
#   KINYU_GPU_CHECK_ON_CPU=1 bash benchmarks/gpu_check.sh   # dry run of the script itself on CPU (tiny, fp32)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
OUT="${OUT:-runs/gpu_check}"
mkdir -p "$OUT"
WORK="$(mktemp -d -t kinyu_gpu_check.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

if [[ "${KINYU_GPU_CHECK_ON_CPU:-0}" == 1 ]]; then
  BENCH=(--preset tiny --steps 5)
  MODEL=(--hidden 64 --layers 2) PRECISION=fp32 DEVICE=cpu STEPS=6 EVERY=3
else
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
  BENCH=(--preset 1b --steps 30 --micro-batch 4 --grad-accum 4)
  MODEL=(--hidden 512 --layers 8) PRECISION=bf16 DEVICE=cuda STEPS=40 EVERY=20
fi

echo "== 1. throughput (1B Llama-style, seq 2048, bf16, ZeRO-2) =="
python benchmarks/train_throughput.py "${BENCH[@]}" --precision "$PRECISION" --zero 2 --json "$OUT/throughput.json"

echo "== 2. a local HF model folder, the embedded sample corpus tokenized with its tokenizer =="
python - "$WORK" "${MODEL[@]}" <<'EOF'
import argparse, sys
from pathlib import Path
from testkit.models import build_tiny_model
p = argparse.ArgumentParser(); p.add_argument("work"); p.add_argument("--hidden", type=int); p.add_argument("--layers", type=int)
a = p.parse_args()
texts = [line for line in Path("tests/_corpus_fixture.py").read_text(encoding="utf-8").splitlines() if line.strip()]
build_tiny_model(Path(a.work) / "model", texts * 20, vocab_size=2000, hidden_size=a.hidden, num_layers=a.layers,
                 max_position_embeddings=1024)
EOF
python -m kinyu.cli corpus build --output "$WORK/corpus" --tasks 2 --cache.dir "$WORK/cache" \
  --tokenize.tokenizer "$WORK/model" > "$WORK/corpus.log" 2>&1 || { tail -30 "$WORK/corpus.log"; exit 1; }

train() {  # train OUT_DIR ZERO [extra flags]; $KINYU runs kinyu (python -m testkit.crash ... for a planned kill)
  local out=$1 zero=$2; shift 2
  ${KINYU:-python -m kinyu.cli} train --config configs/train/tiny_cpu.yaml --model.path "$WORK/model" \
    --data.corpus_runs "$WORK/corpus" --data.seq_len 256 --run.out_dir "$out" --run.cpu_threads 0 \
    --schedule.micro_batch_size 4 --schedule.grad_accum_steps 2 --schedule.max_steps "$STEPS" \
    --schedule.warmup_steps 2 --optim.lr 1e-3 --optim.min_lr 1e-4 --checkpoint.every_steps "$EVERY" \
    --logging.eval_every_steps "$EVERY" --logging.peak_flops_per_device null --deepspeed.zero_stage "$zero" \
    --deepspeed.precision "$PRECISION" "$@"
}
for zero in 2 3; do
  echo "== 2. kinyu train, ZeRO-$zero =="
  train "$WORK/zero$zero" "$zero"
done

echo "== 3. ZeRO-3 killed after checkpoint $EVERY, then resumed =="
set +e
KINYU="python -m testkit.crash checkpoint $EVERY" train "$WORK/killed" 3
rc=$?
set -e
[[ $rc == 137 ]] || { echo "expected the run to kill itself (rc 137), got rc $rc"; exit 1; }
python -m kinyu.cli train --resume "$WORK/killed"

echo "== 4. kinyu eval --device $DEVICE on the ZeRO-3 export =="
python -m kinyu.cli eval --model "$WORK/zero3/checkpoints/step_$(printf %06d "$STEPS")/hf" --device "$DEVICE" \
  --bpc-corpora "sample=$WORK/corpus" --out "$OUT/eval.json"

python - "$WORK" "$OUT" <<'EOF'
import json, sys
from pathlib import Path
work, out = Path(sys.argv[1]), Path(sys.argv[2])
rows = {n: [json.loads(l) for l in (work / n / "metrics.jsonl").read_text().splitlines()] for n in ("zero2", "zero3", "killed")}
tp = json.loads((out / "throughput.json").read_text())
summary = {
    "device": tp["device"], "throughput_tokens_per_s": tp["trainer_tokens_per_s"], "mfu": tp["mfu_median"],
    "loader_over_trainer": tp["loader_over_trainer"],
    "peak_reserved_gib": tp["peak_reserved_gib"], "plan_estimate_gib": tp["plan_estimate_gib"],
    "zero2_final_loss": rows["zero2"][-1]["loss"], "zero3_final_loss": rows["zero3"][-1]["loss"],
    "zero2_vs_zero3_max_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in zip(rows["zero2"], rows["zero3"])),
    "resumed_vs_uninterrupted_max_loss_diff": max(abs(a["loss"] - b["loss"]) for a, b in zip(rows["zero3"], rows["killed"])),
    "resumed_steps": [r["step"] for r in rows["killed"]] == [r["step"] for r in rows["zero3"]],
    "eval_bits_per_character": json.loads((out / "eval.json").read_text())["bpc"]["sample"]["bits_per_character"],
    "manifest_zero3": {k: json.loads((work / "zero3" / "manifest.json").read_text())[k] for k in ("device", "precision", "backend")},
}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary, indent=2))
print(f"\nMFU {summary['mfu']:.1%} (goal >= 45%), loader/trainer {summary['loader_over_trainer']:,.0f}x (goal >= 50x)"
      if summary["mfu"] is not None else "\nMFU n/a on CPU")
EOF
