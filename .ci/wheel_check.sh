#!/usr/bin/env bash
# The package as a user gets it: a wheel built from this tree, installed into a fresh venv outside
# the checkout, run from an empty folder (nothing of the repository on the path or in the cwd).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d -t kinyu-wheel.XXXXXX)
trap 'rm -rf "$work"' EXIT
# a clean copy (tracked + new files), so that a stale build/ of the checkout cannot leak in
mkdir -p "$work/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/src"
python3 -m pip wheel -q --no-deps -w "$work/dist" "$work/src"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "torch==2.13.0"   # the CPU build, as in .ci/run
"$work/venv/bin/pip" install -q "$work"/dist/kinyu-*.whl
mkdir "$work/empty" && cd "$work/empty"
echo "== kinyu corpus build, from an empty folder, with the installed wheel"
"$work/venv/bin/kinyu" corpus build --output corpus
"$work/venv/bin/python" - <<'PY'
import json
m = json.load(open("corpus/manifest.json"))
assert m["accounting"]["balanced"] and m["accounting"]["kept"] > 10, m["accounting"]
assert m["tokens"]["train"]["tokens"] > 0, m["tokens"]
print("wheel corpus build:", m["accounting"], m["tokens"]["train"])
PY
echo "== kinyu demo --steps 4, from an empty folder, with the installed wheel"
"$work/venv/bin/kinyu" demo --steps 4 --out demo
test -f demo/eval/results.json && test -f demo/corpus/report.html
echo "wheel check passed"
