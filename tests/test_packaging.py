"""The wheel a user installs: one import name (kinyu), every module at its mapped name, the shipped
configs and the embedded sample inside, no test helpers; and it works from a folder that is not the
checkout. (.ci/run also installs the wheel into a fresh venv and runs `kinyu demo` from an empty folder.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {"kinyu": "kinyu", "kinyu.corpus": "corpus", "kinyu.training": "training",
                "kinyu.evaluation": "evaluation", "kinyu.configs": "configs"}


def _source_files() -> list[str]:
    """Tracked and new (not ignored) files: what a clean clone of this tree holds."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    return [f for f in out if (REPO / f).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # built from a clean copy, so that a stale build/ folder of the checkout cannot leak into it
    src = tmp_path_factory.mktemp("src")
    for rel in _source_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
                   check=True, capture_output=True)
    (whl,) = dist.glob("kinyu-*.whl")
    return whl


def test_wheel_has_one_import_name_and_every_module(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n.split("/")[0] for n in names} == {"kinyu", wheel.name.split("-py3")[0] + ".dist-info"}
    expected = set()
    for rel in _source_files():
        top = rel.split("/")[0]
        name = next((n for n, folder in PACKAGE_DIRS.items() if folder == top), None)
        if name is None or "/__pycache__/" in rel:
            continue
        inside = "/".join(name.split(".")) + rel[len(top):]
        if rel.endswith(".py") or rel.startswith(("configs/", "corpus/sample/data/", "corpus/sample/general/")) \
                or rel.endswith((".yaml", ".tsv")):
            expected.add(inside)
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing[:10]}"
    assert "kinyu/configs/corpus.yaml" in names and "kinyu/configs/train/tiny_cpu.yaml" in names
    assert "kinyu/corpus/sample/data/MANIFEST.json" in names
    assert not [n for n in names if n.startswith(("testkit", "tests", "benchmarks")) or "/testkit/" in n]


@pytest.mark.slow
def test_installed_wheel_builds_the_sample_from_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    # the installed copy comes first on the path; the checkout is not on it (cwd is an empty folder)
    env = {**os.environ, "PYTHONPATH": str(site), "KINYU_CACHE_DIR": str(tmp_path / "cache")}
    where = subprocess.run([sys.executable, "-c", "import kinyu.corpus.pipeline as p, kinyu.base.config as c; "
                            "print(p.__file__); print(c.shipped_config('train/tiny_cpu.yaml'))"],
                           cwd=empty, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(w.startswith(str(site)) for w in where), where
    run = subprocess.run([sys.executable, "-m", "kinyu.cli", "corpus", "build", "--output", "corpus", "--tokenize.enabled", "false"],
                         cwd=empty, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    manifest = json.loads((empty / "corpus" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["accounting"]["balanced"] and manifest["accounting"]["kept"] > 10
    # the default config is the shipped one (the sample as input, the shipped thresholds)
    assert manifest["config"]["quality"]["script"]["min_hiragana_ratio"] == 0.1
    assert all(str(site) in i["path"] for i in manifest["inputs"])
    # a shipped config by name, from a folder that has no configs/
    plan = subprocess.run([sys.executable, "-m", "kinyu.cli", "train", "plan", "--config", "configs/train/nekomata14b_zero3.yaml",
                           "--tokens", "370M", "--gpu-mem", "80GB", "--nodes", "2", "--gpus-per-node", "8"],
                          cwd=empty, env=env, capture_output=True, text=True)
    assert plan.returncode in (0, 1) and "model states" in plan.stdout, plan.stderr[-2000:]
