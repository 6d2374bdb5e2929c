#!/usr/bin/env bash
# One GPU session in one command, for a machine that has torch, transformers and tokenizers but nothing of
# kinyu's own and no network (the H200 of the device tool). In order, every step under a time limit, all of
# it ending by KINYU_SESSION_BUDGET_S (default 285 s) after the start:
#   0. install .whl/*.whl (third-party wheels the image lacks) and kinyu, built from this tree, into $SITE
#   1. versions: nvidia-smi, nvcc, torch, deepspeed, transformers, ... and where kinyu is imported from
#   2. DeepSpeed's FusedAdam JIT build (nvcc + ninja) timed, in the background while step 3 runs
#   3. throughput calibration for sizing studies: benchmarks/train_throughput.py --preset 100m (134M Llama,
#      seq 1024, bf16, ZeRO-1) with torch's fused AdamW, then with DeepSpeed's FusedAdam if it was built
#   4. benchmarks/gpu_check.sh on the prebuilt inputs in .gpu_inputs/ (KINYU_GPU_CHECK_PREPARE=.gpu_inputs
#      bash benchmarks/gpu_check.sh makes them where the corpus stack is installed); FusedAdam in its training
#      steps if the JIT build took at most KINYU_FUSED_ADAM_MAX_S (default 40) s, else torch's AdamW
#   5. a short table of every figure, printed last; $OUT/results.json holds the same
# Outputs under $OUT (default runs/gpu_session), 8 files: session.log (everything printed), results.json,
# fused_adam_build.json, calib_100m_torch_fused.json, calib_100m_fused_adam.json, check/{throughput,eval,summary}.json
#   bash benchmarks/gpu_session.sh                                          # on the GPU machine
#   KINYU_GPU_CHECK_ON_CPU=1 OUT=/tmp/gpu_out bash benchmarks/gpu_session.sh  # dry run on CPU (tiny sizes, fp32)
# A failed step is reported and the later ones still run; the exit status is 1 if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="${OUT:-runs/gpu_session}"
[[ "$OUT" = /* ]] || OUT="$ROOT/$OUT"
mkdir -p "$OUT"
rm -f "$OUT"/results.json "$OUT"/fused_adam_build.json "$OUT"/calib_100m_*.json  # no figure of an earlier run
SITE="${SITE:-/tmp/site}"
CPU="${KINYU_GPU_CHECK_ON_CPU:-0}"
# on CPU (a dry run of this script) everything is slower, and DeepSpeed JIT-builds its CPU ops (g++) too
if [[ $CPU == 1 ]]; then BUDGET="${KINYU_SESSION_BUDGET_S:-3600}" SCALE=10; else BUDGET="${KINYU_SESSION_BUDGET_S:-330}" SCALE=1; fi
FUSED_ADAM_MAX_S="${KINYU_FUSED_ADAM_MAX_S:-40}"
T0=$(date +%s)
DEADLINE=$((T0 + BUDGET))
WORK="$(mktemp -d -t kinyu_gpu_session.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
: > "$WORK/steps.tsv"

limit_for() {  # limit_for SECONDS: SECONDS, or less so that the step ends before the deadline
  local left=$(( DEADLINE - $(date +%s) ))
  (( left < $1 )) && echo "$left" || echo "$1"
}

sstep() {  # sstep NAME SECONDS CMD...: one session step under `timeout` (CMD may be an exported function of this
           # script); its status and wall time go to the table
  local name=$1 limit rc start=$SECONDS; limit=$(limit_for $(( $2 * SCALE ))); shift 2
  if (( limit < 10 )); then
    echo "!! $name: skipped, the session's budget ($BUDGET s) is spent"
    printf '%s\t%s\t%s\n' "$name" "skipped (budget)" 0 >> "$WORK/steps.tsv"
    return 200
  fi
  echo
  echo "######## $name (at most ${limit} s; $(( $(date +%s) - T0 )) s into the session)"
  if declare -F "$1" > /dev/null; then timeout -k 10 "$limit" bash -c '"$@"' "$1" "$@"; else timeout -k 10 "$limit" "$@"; fi
  rc=$?
  local status=ok
  case $rc in 0) ;; 124|137) status="TIMED OUT (rc $rc, limit ${limit} s)" ;; *) status="FAILED (rc $rc)" ;; esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - start))" >> "$WORK/steps.tsv"
  [[ $status == ok ]] || echo "!! $name: $status"
  return $rc
}

do_install() {
  rm -rf "$SITE"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl || return 1
  # kinyu from a copy of this tree: pip builds in the source folder, and a stale build/ could bring back
  # modules the tree no longer has; works with any package layout setuptools knows (package-dir too)
  local src="$WORK/kinyu_src"
  mkdir -p "$src"
  tar -C "$ROOT" --exclude=./.whl --exclude=./.gpu_inputs --exclude=./.git --exclude=./.venv --exclude=./build \
    --exclude=./runs --exclude='*.egg-info' --exclude=__pycache__ -cf - . | tar -C "$src" -xf - || return 1
  (cd "$src" && PYTHONPATH="$SITE" python3 -m pip install -q --no-deps --no-build-isolation --no-index --upgrade --target "$SITE" .) || return 1
  du -sh "$SITE"
}

do_versions() {
  if [[ $CPU != 1 ]]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
    nvcc --version | tail -2
  fi
  echo "image (without $SITE): $(PYTHONPATH= python3 -c 'import importlib.metadata as m
def v(n):
    try: return m.version(n)
    except m.PackageNotFoundError: return "-"
print(" ".join(f"{n} {v(n)}" for n in ("setuptools", "typing_extensions", "pydantic", "deepspeed", "lm_eval")))')"
  python3 - "$SITE" <<'EOF'
import importlib.metadata as md, sys, time
start = time.perf_counter()
import torch
print("python", sys.version.split()[0], sys.executable)
print("torch", torch.__version__, "cuda", torch.version.cuda, "cuda available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
names = ("deepspeed", "transformers", "tokenizers", "huggingface_hub", "accelerate", "safetensors", "numpy", "lm_eval",
         "pydantic", "pydantic_core", "typing_extensions", "hjson", "orjson", "dill", "setuptools", "kinyu")
def version(n):
    try:
        return md.version(n)
    except md.PackageNotFoundError:
        return "MISSING"
print(" ".join(f"{n} {version(n)}" for n in names))
import deepspeed, kinyu, lm_eval.models.huggingface  # noqa: F401 - what the steps import
print(f"kinyu from {kinyu.__file__}, deepspeed from {deepspeed.__file__} ({time.perf_counter() - start:.1f} s to import)")
if not kinyu.__file__.startswith(sys.argv[1]):
    sys.exit(f"kinyu is imported from {kinyu.__file__}, not from the install in {sys.argv[1]}")
EOF
}

do_study_smoke() {
  local args=(--quick --out .gpu_study/quick --seeds 2 --replay-ratios 0,0.25 --unfiltered false --repeat-control false
              --shuffled-control false)
  if [[ $CPU != 1 ]]; then
    args+=(--eval-device cuda --train '{deepspeed.precision: bf16, deepspeed.zero_stage: 0, optim.torch_adam: true, model.attn_implementation: sdpa}')
  fi
  python3 -m kinyu.cli study cpt "${args[@]}" 2>&1 | grep -v "it/s\]" || return 1
  cp .gpu_study/quick/report.md "$OUT/study_smoke_report.md"
  python3 -c 'import json; print("study smoke timings", json.load(open(".gpu_study/quick/results.json"))["timings_s"])'
}

export -f do_install do_versions do_study_smoke
export ROOT OUT SITE CPU WORK

fused_adam_figures() {  # "OK BUILD_S CACHED" of fused_adam_build.json, or "0 0 0"
  python3 - "$OUT/fused_adam_build.json" <<'EOF' 2>/dev/null || echo "0 0 0"
import json, sys
d = json.load(open(sys.argv[1]))
print(int(bool(d["ok"])), round(d["build_s"] or 0), int(bool(d["cached_before"])))
EOF
}

session() {
  export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
  # no `python -`/`-m`/`-c` may put the current folder (this tree, whose kinyu/ need not be the package) first
  export PYTHONSAFEPATH=1
  export TORCH_EXTENSIONS_DIR="${TORCH_EXTENSIONS_DIR:-/tmp/kinyu_torch_extensions}" MAX_JOBS="${MAX_JOBS:-$(nproc)}"
  echo "kinyu GPU session: budget ${BUDGET} s, outputs in $OUT, packages in $SITE, $(nproc) cores"
  # a JIT build killed half-way leaves its lock file, and every later process would wait on it for ever
  clear_build_locks() { find "$TORCH_EXTENSIONS_DIR" -name lock -type f -print -delete 2>/dev/null; }
  clear_build_locks
  # the scripts call `python`: make it this python3 wherever python3 is (e.g. a venv that is not on PATH)
  if [[ "$(python -c 'import sys; print(sys.prefix)' 2>/dev/null)" != "$(python3 -c 'import sys; print(sys.prefix)')" ]]; then
    mkdir -p "$WORK/bin"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$(command -v python3)" > "$WORK/bin/python"
    chmod +x "$WORK/bin/python"
    export PATH="$WORK/bin:$PATH"
    echo "python -> $(command -v python3)"
  fi

  sstep "0. install .whl + kinyu" 120 do_install || echo "!! without these nothing below can run; continuing for the record"
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
  sstep "1. versions" 60 do_versions

  local calib jit_limit
  if [[ $CPU == 1 ]]; then
    calib=(--preset 100m --seq-len 32 --micro-batch 1 --grad-accum 1 --steps 4 --precision fp32 --zero 1)
    jit_limit=90
  else
    calib=(--preset 100m --micro-batch 16 --grad-accum 2 --steps 50 --precision bf16 --zero 1)
    jit_limit=100  # a build that takes longer is reported as such, and the checks use torch's AdamW
  fi
  echo
  echo "######## 2. FusedAdam JIT build: in the background, output below when it ends"
  local jit_start=$SECONDS
  ( sstep "2. FusedAdam JIT build" "$jit_limit" python3 benchmarks/fused_adam_build.py \
      --json "$OUT/fused_adam_build.json" ) > "$WORK/fused_adam_build.log" 2>&1 &
  local jit_pid=$!

  sstep "3a. calibration 100m, torch fused AdamW" 100 python3 benchmarks/train_throughput.py "${calib[@]}" \
    --optim torch-fused --json "$OUT/calib_100m_torch_fused.json"

  wait "$jit_pid"
  cat "$WORK/fused_adam_build.log"
  local ok build_s cached torch_adam=1
  read -r ok build_s cached < <(fused_adam_figures)
  (( ok )) || clear_build_locks
  echo "FusedAdam: built ${ok}, ${build_s} s (cached before: ${cached}); $((SECONDS - jit_start)) s after its start"
  if (( ok )) && [[ "${KINYU_CALIB_FUSED_ADAM:-0}" == 1 ]]; then
    sstep "3b. calibration 100m, DeepSpeed FusedAdam" 90 python3 benchmarks/train_throughput.py "${calib[@]}" \
      --optim deepspeed --json "$OUT/calib_100m_fused_adam.json"
  else
    printf '%s\t%s\t%s\n' "3b. calibration 100m, DeepSpeed FusedAdam" "skipped (KINYU_CALIB_FUSED_ADAM=1 runs it)" 0 >> "$WORK/steps.tsv"
  fi
  (( ok && build_s <= FUSED_ADAM_MAX_S )) && torch_adam=0
  echo "gpu_check's training steps use $( (( torch_adam )) && echo "torch's AdamW (FusedAdam: built ${ok}, ${build_s} s > ${FUSED_ADAM_MAX_S} s or failed)" || echo "DeepSpeed's FusedAdam")"

  KINYU_GPU_CHECK_INPUTS="${KINYU_GPU_CHECK_INPUTS:-.gpu_inputs}" KINYU_GPU_CHECK_PARALLEL="${KINYU_GPU_CHECK_PARALLEL:-1}" \
    KINYU_GPU_CHECK_DEADLINE=$((DEADLINE - 5)) KINYU_GPU_CHECK_TORCH_ADAM=$torch_adam OUT="$OUT/check" \
    sstep "4. gpu_check.sh" 600 bash benchmarks/gpu_check.sh

  # 5. `kinyu study cpt` end to end on the GPU at toy size, from a folder whose data stage ran elsewhere
  #    (bash benchmarks/gpu_study_inputs.sh configs/study/cpt_quick.yaml .gpu_study/quick): the path a real
  #    study on this machine takes, without the corpus stack
  if [[ -d .gpu_study/quick ]]; then
    sstep "5. study smoke (kinyu study cpt, toy size)" 150 do_study_smoke
  fi

  table
}

table() {  # the short table, printed last; results.json holds the same figures
  python3 - "$OUT" "$WORK/steps.tsv" "$BUDGET" "$(( $(date +%s) - T0 ))" <<'EOF'
import json, sys
from pathlib import Path
out, steps_file, budget, wall = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None

def num(x, fmt):
    return "n/a" if x is None else format(x, fmt)

steps = sorted((line.split("\t") for line in steps_file.read_text().splitlines() if line), key=lambda s: s[0])
jit, summary = load(out / "fused_adam_build.json"), load(out / "check" / "summary.json")
calib = {name: load(out / f"calib_100m_{name}.json") for name in ("torch_fused", "fused_adam")}
throughput = load(out / "check" / "throughput.json")
results = {"budget_s": budget, "wall_s": wall, "steps": [{"step": s, "status": st, "wall_s": int(w)} for s, st, w in steps],
           "fused_adam_build": jit, "calibration_100m": calib, "gpu_check_summary": summary,
           "gpu_check_throughput_1b": throughput}
(out / "results.json").write_text(json.dumps(results, indent=2) + "\n")

lines = ["", "=" * 100, f"kinyu GPU session: {wall} s of a {budget} s budget; figures in {out}/results.json", "-" * 100]
lines += [f"{s:<48} {st:<32} {w:>5} s" for s, st, w in steps]
lines.append("-" * 100)
if jit:
    lines.append(f"FusedAdam JIT build: {'ok' if jit['ok'] else 'FAILED'} in {num(jit['build_s'], '.1f')} s "
                 f"(cached before: {jit['cached_before']}), max |FusedAdam - AdamW| {num(jit['max_abs_diff_vs_torch_adamw'], '.1e')}"
                 + (f"; error: {jit['error'][-300:]}" if jit.get("error") else ""))
def bench_line(label, f):
    if not f:
        return f"{label:<38} n/a"
    return (f"{label:<38} {num(f['trainer_tokens_per_s'], ',.0f'):>10} tok/s  MFU {num(f['mfu_median'], '.1%'):>6}  "
            f"step {num(f['step_s_median'], '.3f')} s  peak {num(f['peak_reserved_gib'], '.1f')} GiB "
            f"(plan {num(f['plan_estimate_gib'], '.1f')})  loader/trainer {num(f['loader_over_trainer'], ',.0f')}x")
for name, label in (("torch_fused", "100m (134M) torch fused AdamW"), ("fused_adam", "100m (134M) DeepSpeed FusedAdam")):
    lines.append(bench_line(label, calib[name]))
if calib["torch_fused"]:
    f = calib["torch_fused"]
    lines.append(f"{'':<38} seq {f['seq_len']}, {f['global_batch_windows']} windows/step, ZeRO-{f['zero_stage']}, {f['precision']}, {f['device']}")
lines.append(bench_line(f"check 1. ({throughput['params_m']:.4g}M, {throughput['optim']})" if throughput else "check 1. throughput", throughput))
if summary:
    s = summary
    lines.append(f"gpu_check: optimizer {s['train_optimizer']}; inputs {s['inputs']}")
    lines.append(f"  ZeRO-2 / ZeRO-3 final loss {num(s['zero2_final_loss'], '.4f')} / {num(s['zero3_final_loss'], '.4f')}, "
                 f"max diff {num(s['zero2_vs_zero3_max_loss_diff'], '.2e')}")
    lines.append(f"  resumed vs uninterrupted max loss diff {num(s['resumed_vs_uninterrupted_max_loss_diff'], '.2e')}, "
                 f"same steps {s['resumed_steps']}")
    lines.append(f"  eval bits per character {num(s['eval_bits_per_character'], '.4f')}; ZeRO-3 manifest {s['manifest_zero3']}")
    lines.append(f"  {len(s['passed_steps'])} gpu_check steps passed, {len(s['failed_steps'])} failed")
    lines += [f"  FAILED {x}" for x in s["failed_steps"]]
else:
    lines.append("gpu_check: no summary.json")
failed = [s for s, st, _ in steps if st != "ok"] + [f"gpu_check {x}" for x in (summary or {}).get("failed_steps", [])]
lines.append("=" * 100)
lines.append("ALL STEPS PASSED" if not failed else f"{len(failed)} FAILED: " + "; ".join(failed))
print("\n".join(lines))
sys.exit(1 if failed else 0)
EOF
}

session 2>&1 | tee "$OUT/session.log"
exit "${PIPESTATUS[0]}"
