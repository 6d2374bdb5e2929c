#!/usr/bin/env bash
# The GPU figures kinyu has not measured yet, in one run on one CUDA machine (H100/H200 for the goals):
#   1. benchmarks/train_throughput.py --preset 1b --precision bf16 --zero 2: tokens/s, MFU, loader/trainer,
#      peak GPU memory next to `kinyu train plan`'s estimate for the same config
#   2. a short `kinyu train` from a local HF folder at ZeRO-2 and at ZeRO-3 (bf16, SDPA/flash, FusedAdam)
#   3. the ZeRO-3 run killed after its first checkpoint and resumed: the resumed losses vs the uninterrupted ones
#   4. `kinyu eval --device cuda` (bits per character) on the ZeRO-3 run's export
# Run with kinyu and its training/eval dependencies installed (or this checkout importable); figures under $OUT
# (default runs/gpu_check; relative paths are taken from the repository root):
#   bash benchmarks/gpu_check.sh
#   KINYU_GPU_CHECK_ON_CPU=1 bash benchmarks/gpu_check.sh   # dry run of the script itself on CPU (tiny, fp32)
# Step 2's inputs, a tokenizer and a corpus run tokenized with it, come from `kinyu corpus build` (datatrove,
# fugashi, unidic-lite, ...). Where those are not installed, build the inputs elsewhere (CPU, a minute; no
# model weights, a few hundred KB) and hand the folder over; the random-init model is built from it here:
#   KINYU_GPU_CHECK_PREPARE=.gpu_inputs bash benchmarks/gpu_check.sh   # writes DIR/tokenizer, DIR/corpus; stops
#   KINYU_GPU_CHECK_INPUTS=.gpu_inputs bash benchmarks/gpu_check.sh    # uses them: no corpus build
# More settings (environment):
#   KINYU_GPU_CHECK_TORCH_ADAM=1  torch's AdamW in steps 1-3 instead of DeepSpeed's FusedAdam (JIT-built with nvcc)
#   KINYU_GPU_CHECK_PARALLEL=1    step 2's two runs and step 3's first run at once (one GPU holds all three)
#   KINYU_GPU_CHECK_DEADLINE=T    unix time by which every step must end: steps are cut short or skipped
# A failed step is reported and the later ones still run (those that need its output are skipped); the
# summary ($OUT/summary.json, printed last) lists passed and failed steps; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# installed packages first, this checkout last (for testkit/): with kinyu installed (pip install --target DIR,
# DIR on PYTHONPATH) the checkout's folders must not shadow it; PYTHONSAFEPATH keeps `python -m` from putting
# the current folder in front
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$ROOT" PYTHONSAFEPATH=1
OUT="${OUT:-runs/gpu_check}"
mkdir -p "$OUT"
rm -f "$OUT/throughput.json" "$OUT/eval.json" "$OUT/summary.json"  # no figure of an earlier run in this one's summary
WORK="$(mktemp -d -t kinyu_gpu_check.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
PREPARE="${KINYU_GPU_CHECK_PREPARE:-}" INPUTS="${KINYU_GPU_CHECK_INPUTS:-}" PARALLEL="${KINYU_GPU_CHECK_PARALLEL:-0}"
: > "$WORK/passed.txt"
: > "$WORK/failed.txt"

if [[ "${KINYU_GPU_CHECK_ON_CPU:-0}" == 1 ]]; then
  BENCH=(--preset tiny --steps 5)
  MODEL=(--hidden 64 --layers 2) PRECISION=fp32 DEVICE=cpu STEPS=6 EVERY=3
  LIMIT_BENCH=900 LIMIT_RUN=900 LIMIT_EVAL=600
  echo cpu > "$WORK/gpu.txt"
else
  BENCH=(--preset 1b --steps 20 --micro-batch 4 --grad-accum 4)
  MODEL=(--hidden 512 --layers 8) PRECISION=bf16 DEVICE=cuda STEPS=20 EVERY=10
  LIMIT_BENCH=150 LIMIT_RUN=100 LIMIT_EVAL=60
  [[ -n "$PREPARE" ]] || nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$WORK/gpu.txt"
fi
OPTIM=() BENCH_OPTIM=default OPTIM_LABEL="DeepSpeed FusedAdam"
[[ $DEVICE == cpu ]] && OPTIM_LABEL="torch AdamW (kinyu's CPU default)"
if [[ "${KINYU_GPU_CHECK_TORCH_ADAM:-0}" == 1 ]]; then
  OPTIM=(--optim.torch_adam true) BENCH_OPTIM=torch-fused OPTIM_LABEL="torch AdamW (--optim.torch_adam true; step 1: fused=True)"
fi

# ---- step bookkeeping: every step runs under a time limit; its failure is recorded, never fatal

passed() { echo "$1" >> "$WORK/passed.txt"; echo "-- $1: ok"; }
failed() { echo "$1: $2" >> "$WORK/failed.txt"; echo "!! $1 FAILED: $2"; }

limit_for() {  # limit_for SECONDS: SECONDS, or less so that the step ends before KINYU_GPU_CHECK_DEADLINE
  local limit=$1
  if [[ -n "${KINYU_GPU_CHECK_DEADLINE:-}" ]]; then
    local left=$(( KINYU_GPU_CHECK_DEADLINE - $(date +%s) ))
    (( left < limit )) && limit=$left
  fi
  echo "$limit"
}

run_limited() {  # run_limited NAME SECONDS CMD...: CMD under `timeout` (its output to $RUN_LOG if set); returns its status
  local name=$1 limit; limit=$(limit_for "$2"); shift 2
  if (( limit < 10 )); then
    echo "== $name: skipped, KINYU_GPU_CHECK_DEADLINE reached"
    return 200
  fi
  echo "== $name (at most ${limit} s): $*"
  local start=$SECONDS rc
  if [[ -n "${RUN_LOG:-}" ]]; then timeout -k 10 "$limit" "$@" > "$RUN_LOG" 2>&1; else timeout -k 10 "$limit" "$@"; fi
  rc=$?
  echo "== $name: exit status $rc after $((SECONDS - start)) s"
  return $rc
}

why() {  # why STATUS: words for a step's exit status
  case $1 in
    0) echo "ok" ;;
    124) echo "timed out (its time limit, see above)" ;;
    137) echo "killed (SIGKILL: its time limit or out of memory)" ;;
    200) echo "skipped: no time left before the deadline" ;;
    *) echo "exit status $1 (see its output above)" ;;
  esac
}

check() {  # check NAME SECONDS CMD...: a step that passes when CMD exits 0
  local name=$1
  run_limited "$@"
  local rc=$?
  if (( rc == 0 )); then passed "$name"; else failed "$name" "$(why $rc)"; fi
  return $rc
}

declare -A PIDS=()
start_bg() {  # start_bg NAME SECONDS CMD...: run_limited in the background (KINYU_GPU_CHECK_PARALLEL=1) or now
  local name=$1
  if [[ "$PARALLEL" == 1 ]]; then
    run_limited "$@" > "$WORK/$name.log" 2>&1 &
    PIDS[$name]=$!
    echo "== $name: started in the background (pid ${PIDS[$name]})"
  else
    run_limited "$@"
    echo $? > "$WORK/$name.rc"
  fi
}
wait_bg() {  # wait_bg NAME: its exit status (and, when it ran in the background, its output now)
  local name=$1 rc
  if [[ -n "${PIDS[$name]:-}" ]]; then
    wait "${PIDS[$name]}"
    rc=$?
    echo "---------------- output of $name ----------------"
    cat "$WORK/$name.log"
  else
    rc=$(cat "$WORK/$name.rc")
  fi
  return "$rc"
}

# ---- inputs: a tokenizer and a corpus run made with it (built here, or prebuilt)

# $TINY_LM tokenizer DEST | $TINY_LM model DEST --tokenizer FILE --hidden H --layers L
TINY_LM="$WORK/tiny_lm.py"
cat > "$TINY_LM" <<'EOF'
import argparse, shutil, tempfile
from pathlib import Path
from testkit.models import build_tiny_model
p = argparse.ArgumentParser()
p.add_argument("what", choices=["tokenizer", "model"]); p.add_argument("dest"); p.add_argument("--tokenizer")
p.add_argument("--hidden", type=int); p.add_argument("--layers", type=int)
a = p.parse_args()
dest = Path(a.dest)
if a.what == "tokenizer":  # the byte-level BPE of the embedded sample texts, and its Hugging Face files
    texts = [line for line in Path("tests/_corpus_fixture.py").read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_model(Path(tmp) / "m", texts * 20, vocab_size=2000, hidden_size=32, num_layers=1)
        dest.mkdir(parents=True, exist_ok=True)
        for f in model.iterdir():
            if f.is_file() and f.name not in ("config.json", "generation_config.json") and f.suffix not in (".safetensors", ".bin"):
                shutil.copyfile(f, dest / f.name)
else:  # a seeded random-init Llama around that tokenizer, saved like any Hugging Face checkpoint
    build_tiny_model(dest, [], tokenizer_file=a.tokenizer, vocab_size=2000, hidden_size=a.hidden, num_layers=a.layers,
                     max_position_embeddings=1024)
EOF

build_inputs() {  # build_inputs DIR: DIR/tokenizer and DIR/corpus (the embedded sample, tokenized with it)
  local dir=$1
  check "inputs: tokenizer" 600 python "$TINY_LM" tokenizer "$dir/tokenizer" || return 1
  RUN_LOG="$WORK/corpus.log" run_limited "inputs: corpus build" 900 python -m kinyu.cli corpus build --output "$dir/corpus" \
    --tasks 2 --cache.dir "$WORK/cache" --tokenize.tokenizer "$dir/tokenizer"
  local rc=$?
  if (( rc != 0 )); then tail -30 "$WORK/corpus.log"; failed "inputs: corpus build" "$(why $rc)"; return 1; fi
  passed "inputs: corpus build"
}

if [[ -n "$PREPARE" ]]; then
  [[ "$PREPARE" = /* ]] || PREPARE="$ROOT/$PREPARE"
  rm -rf "$PREPARE" && mkdir -p "$PREPARE"
  build_inputs "$WORK/inputs" || exit 1
  cp -r "$WORK/inputs/tokenizer" "$PREPARE/tokenizer"
  # what steps 2-4 read of the corpus run: its token shards, its tokenizer and its manifest
  mkdir -p "$PREPARE/corpus"
  cp -r "$WORK/inputs/corpus/tokens" "$WORK/inputs/corpus/tokenizer" "$WORK/inputs/corpus/manifest.json" "$PREPARE/corpus/"
  cat > "$PREPARE/README.txt" <<EOF
Inputs of benchmarks/gpu_check.sh step 2, prebuilt: KINYU_GPU_CHECK_INPUTS=$(basename "$PREPARE") bash benchmarks/gpu_check.sh
  tokenizer/  the byte-level BPE (vocab 2000) of tests/_corpus_fixture.py; the model is built from it there
  corpus/     \`kinyu corpus build\` of the embedded sample tokenized with it: tokens/{train,validation}, tokenizer/, manifest.json
Built $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) by KINYU_GPU_CHECK_PREPARE.
EOF
  du -sh "$PREPARE"
  echo "wrote $PREPARE"
  exit 0
fi

if [[ -n "$INPUTS" ]]; then
  [[ "$INPUTS" = /* ]] || INPUTS="$ROOT/$INPUTS"
  echo "== inputs: prebuilt in $INPUTS (no corpus build)"
  if [[ -f "$INPUTS/tokenizer/tokenizer.json" && -d "$INPUTS/corpus/tokens/train" ]]; then
    mkdir -p "$WORK/inputs" && cp -r "$INPUTS/tokenizer" "$INPUTS/corpus" "$WORK/inputs/" && passed "inputs: prebuilt"
  else
    failed "inputs: prebuilt" "$INPUTS has no tokenizer/tokenizer.json or corpus/tokens/train (KINYU_GPU_CHECK_PREPARE=DIR builds them)"
  fi
else
  build_inputs "$WORK/inputs"
fi
CORPUS="$WORK/inputs/corpus"
HAVE_INPUTS=0
[[ -f "$WORK/inputs/tokenizer/tokenizer.json" && -d "$CORPUS/tokens/train" ]] && HAVE_INPUTS=1

# ---- 1. throughput

check "1. throughput (${BENCH[*]}, $PRECISION, ZeRO-2, optim $BENCH_OPTIM)" "$LIMIT_BENCH" \
  python benchmarks/train_throughput.py "${BENCH[@]}" --precision "$PRECISION" --zero 2 --optim "$BENCH_OPTIM" \
  --json "$OUT/throughput.json"

# ---- 2. a local HF model folder, trained from at ZeRO-2 and ZeRO-3; 3. the ZeRO-3 run killed and resumed

train_cmd() {  # train_cmd OUT_DIR ZERO [extra flags]: CMD=(the kinyu train command line)
  local out=$1 zero=$2; shift 2
  CMD=(python -m kinyu.cli train --config configs/train/tiny_cpu.yaml --model.path "$WORK/model"
    --data.corpus_runs "$CORPUS" --data.seq_len 256 --run.out_dir "$out" --run.cpu_threads 0
    --schedule.micro_batch_size 4 --schedule.grad_accum_steps 2 --schedule.max_steps "$STEPS"
    --schedule.warmup_steps 2 --optim.lr 1e-3 --optim.min_lr 1e-4 --checkpoint.every_steps "$EVERY"
    --logging.eval_every_steps "$EVERY" --logging.peak_flops_per_device null --deepspeed.zero_stage "$zero"
    --deepspeed.precision "$PRECISION" "${OPTIM[@]}" "$@")
}

HAVE_MODEL=0
if (( HAVE_INPUTS )); then
  check "2. model (random-init Llama ${MODEL[*]} around the tokenizer)" 120 \
    python "$TINY_LM" model "$WORK/model" --tokenizer "$WORK/inputs/tokenizer/tokenizer.json" "${MODEL[@]}" && HAVE_MODEL=1
else
  failed "2. model" "skipped: no inputs"
fi

if (( HAVE_MODEL )); then
  train_cmd "$WORK/zero2" 2; start_bg "2. kinyu train ZeRO-2" "$LIMIT_RUN" "${CMD[@]}"
  train_cmd "$WORK/zero3" 3; start_bg "2. kinyu train ZeRO-3" "$LIMIT_RUN" "${CMD[@]}"
  # testkit.crash runs kinyu and SIGKILLs it right after checkpoint $EVERY is complete
  train_cmd "$WORK/killed" 3; CMD=(python -m testkit.crash checkpoint "$EVERY" "${CMD[@]:3}")
  start_bg "3. ZeRO-3 killed after checkpoint $EVERY" "$LIMIT_RUN" "${CMD[@]}"

  for zero in 2 3; do
    wait_bg "2. kinyu train ZeRO-$zero"
    rc=$?
    if (( rc == 0 )); then passed "2. kinyu train ZeRO-$zero"; else failed "2. kinyu train ZeRO-$zero" "$(why $rc)"; fi
  done
  wait_bg "3. ZeRO-3 killed after checkpoint $EVERY"
  rc=$?
  latest=$(cat "$WORK/killed/checkpoints/latest" 2>/dev/null)
  if [[ $rc == 137 && "$latest" == "step_$(printf %06d "$EVERY")" ]]; then
    passed "3. ZeRO-3 killed after checkpoint $EVERY"
    check "3. ZeRO-3 resumed" "$LIMIT_RUN" python -m kinyu.cli train --resume "$WORK/killed"
  else
    failed "3. ZeRO-3 killed after checkpoint $EVERY" \
      "expected the run to kill itself right after checkpoint $EVERY (exit status 137, checkpoints/latest = step_$(printf %06d "$EVERY")), got exit status $rc, latest '${latest:-none}'"
    failed "3. ZeRO-3 resumed" "skipped: the killed run did not stop at its checkpoint"
  fi
else
  failed "2-3. kinyu train" "skipped: no model"
fi

# ---- 4. eval

EXPORT="$WORK/zero3/checkpoints/step_$(printf %06d "$STEPS")/hf"
if [[ -f "$EXPORT/config.json" ]]; then
  check "4. kinyu eval --device $DEVICE" "$LIMIT_EVAL" python -m kinyu.cli eval --model "$EXPORT" --device "$DEVICE" \
    --bpc-corpora "sample=$CORPUS" --out "$OUT/eval.json"
else
  failed "4. kinyu eval --device $DEVICE" "skipped: no ZeRO-3 export at $EXPORT"
fi

# ---- summary: whatever the steps left; a missing figure is null

python - "$WORK" "$OUT" "$OPTIM_LABEL" "${INPUTS:-built here}" <<'EOF'
import json, sys
from pathlib import Path
work, out, optim, inputs = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]

def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None

def metrics(name):
    try:
        return [json.loads(l) for l in (work / name / "metrics.jsonl").read_text().splitlines()]
    except (OSError, ValueError):
        return None

def max_diff(a, b):
    return max(abs(x["loss"] - y["loss"]) for x, y in zip(a, b)) if a and b else None

rows = {n: metrics(n) for n in ("zero2", "zero3", "killed")}
tp = load(out / "throughput.json") or {}
ev = load(out / "eval.json") or {}
manifest = load(work / "zero3" / "manifest.json") or {}
gpu = work / "gpu.txt"
summary = {
    "gpu": gpu.read_text().strip() if gpu.is_file() else None, "inputs": inputs,
    "train_optimizer": optim,
    "device": tp.get("device"), "throughput_tokens_per_s": tp.get("trainer_tokens_per_s"), "mfu": tp.get("mfu_median"),
    "loader_over_trainer": tp.get("loader_over_trainer"),
    "peak_reserved_gib": tp.get("peak_reserved_gib"), "plan_estimate_gib": tp.get("plan_estimate_gib"),
    "zero2_final_loss": rows["zero2"][-1]["loss"] if rows["zero2"] else None,
    "zero3_final_loss": rows["zero3"][-1]["loss"] if rows["zero3"] else None,
    "zero2_vs_zero3_max_loss_diff": max_diff(rows["zero2"], rows["zero3"]),
    "resumed_vs_uninterrupted_max_loss_diff": max_diff(rows["zero3"], rows["killed"]),
    "resumed_steps": ([r["step"] for r in rows["killed"]] == [r["step"] for r in rows["zero3"]]
                      if rows["zero3"] and rows["killed"] else None),
    "eval_bits_per_character": ev.get("bpc", {}).get("sample", {}).get("bits_per_character"),
    "manifest_zero3": {k: manifest.get(k) for k in ("device", "precision", "backend")},
    "passed_steps": (work / "passed.txt").read_text().splitlines(),
    "failed_steps": (work / "failed.txt").read_text().splitlines(),
}
(out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
print(json.dumps(summary, indent=2))
if summary["mfu"] is not None:
    print(f"\nMFU {summary['mfu']:.1%} (goal >= 45%), loader/trainer {summary['loader_over_trainer']:,.0f}x (goal >= 50x)")
print(f"{len(summary['passed_steps'])} steps passed, {len(summary['failed_steps'])} failed"
      + "".join(f"\n  FAILED {s}" for s in summary["failed_steps"]))
EOF
[[ ! -s "$WORK/failed.txt" ]]
