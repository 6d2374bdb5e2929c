"""The users' daily workflows: `kinyu demo`, the HTML report, notebooks, fast regeneration,
ablations with proxy training."""

from __future__ import annotations

import hashlib
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from corpus.report import SECTIONS

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    from kinyu.cli import main

    out = tmp_path_factory.mktemp("demo")
    os.environ.setdefault("KINYU_CACHE_DIR", str(out / "cache"))
    assert main(["demo", "--out", str(out), "--steps", "8"]) == 0
    return out


def test_demo_leaves_every_output(demo_out):
    assert (demo_out / "corpus" / "report.html").is_file()
    assert (demo_out / "corpus" / "manifest.json").is_file()
    metrics = [json.loads(line) for line in (demo_out / "train" / "metrics.jsonl").read_text().splitlines()]
    assert metrics and {"step", "tokens", "loss", "lr"} <= set(metrics[-1]) | set(metrics[0])
    ckpts = sorted((demo_out / "train" / "checkpoints").glob("step_*"))
    assert len(ckpts) >= 2 and all((c / "hf" / "config.json").is_file() for c in ckpts)
    results = json.loads((demo_out / "eval" / "results.json").read_text())
    assert results
    csv = (demo_out / "eval" / "results.csv").read_text()
    assert "finance_val" in csv and "general" in csv


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.headings = set(), [], []
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        self._in_h2 = tag == "h2"

    def handle_data(self, data):
        if self._in_h2:
            self.headings.append(data)
            self._in_h2 = False


def test_report_has_every_section_and_embedded_images(demo_out):
    page = (demo_out / "corpus" / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    assert set(SECTIONS) <= parser.ids
    assert len(parser.imgs) >= 4
    assert all(src.startswith("data:image/png;base64,") and len(src) > 2000 for src in parser.imgs)
    assert "encrypted" in page  # the quarantine list names the sample's encrypted PDF
    assert "balanced" in page


@pytest.mark.parametrize(
    "notebook,env",
    [
        ("01_inspect_corpus.ipynb", "KINYU_CORPUS_RUN"),
        ("02_training_curves.ipynb", "KINYU_TRAIN_RUN"),
        ("03_compare_checkpoints.ipynb", "KINYU_EVAL_OUT"),
    ],
)
def test_notebooks_run_top_to_bottom(demo_out, notebook, env, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    target = {"KINYU_CORPUS_RUN": "corpus", "KINYU_TRAIN_RUN": "train", "KINYU_EVAL_OUT": "eval"}[env]
    monkeypatch.setenv(env, str(demo_out / target))
    nb = nbformat.read(REPO / "notebooks" / notebook, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


def _digest(run: Path) -> dict[str, str]:
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for part in ("docs", "removed", "tokens")
        for p in sorted((run / part).rglob("*"))
        if p.is_file()
    }


def test_filter_only_rebuild_hits_cache_and_equals_cold_build(tmp_path):
    from corpus.config import CorpusConfig
    from corpus.pipeline import build
    from kinyu.config import load_config

    def cfg(out, cache, **over):
        base = {"output": str(tmp_path / out), "cache.dir": str(tmp_path / cache), "executor.tasks": 2, "tokenize.enabled": False}
        return load_config(CorpusConfig, REPO / "configs" / "corpus.yaml", {**base, **over})

    change = {"extract.min_chars": 400}  # a filter-only change
    build(cfg("warm_first", "cache"))  # fills the cache
    warm = build(cfg("warm", "cache", **change))
    cold = build(cfg("cold", "empty_cache", **change))
    assert _digest(warm) == _digest(cold)
    stats = json.loads((warm / "stats" / "extract.json").read_text())
    lookup = next(s for s in stats if "cache (lookup)" in s["name"])["stats"]
    assert "misses" not in lookup and lookup["hits"]["total"] > 40

    # an extraction setting invalidates the PDFs' entries and nothing else
    pdf = build(cfg("pdfium", "cache", **{"extract.pdf_backend": "pypdfium2"}))
    stats = json.loads((pdf / "stats" / "extract.json").read_text())
    lookup = next(s for s in stats if "cache (lookup)" in s["name"])["stats"]
    from corpus.sample import load_manifest

    all_pdfs = [f for f in load_manifest() if f.file.endswith(".pdf")]
    assert lookup["misses"]["total"] == len(all_pdfs)
    assert lookup["hits"]["total"] > 30


def test_ablation_trains_a_proxy_per_variant_and_is_resumable(tmp_path, monkeypatch):
    import csv

    import yaml

    from kinyu.cli import main

    monkeypatch.setenv("KINYU_CACHE_DIR", str(tmp_path / "cache"))
    proxy = yaml.safe_load((REPO / "configs" / "train" / "tiny_cpu.yaml").read_text())
    proxy["schedule"]["max_steps"] = 4
    proxy["checkpoint"]["every_steps"] = 4
    proxy["logging"]["eval_every_steps"] = 0
    proxy["logging"]["tensorboard"] = False
    (tmp_path / "proxy.yaml").write_text(yaml.safe_dump(proxy))
    out = tmp_path / "ablation"
    argv = ["corpus", "ablate", "--vary", "quality.script.min_hiragana_ratio=0.05,0.3", "--proxy", str(tmp_path / "proxy.yaml"), "--out", str(out)]
    assert main(argv) == 0
    rows = list(csv.DictReader((out / "ablation.csv").open(encoding="utf-8")))
    assert [r["quality.script.min_hiragana_ratio"] for r in rows] == ["0.05", "0.3"]
    loose, strict = rows
    assert int(strict["kept_docs"]) < int(loose["kept_docs"])
    assert int(strict["removed_but_kept_elsewhere"]) > 0 and "script" in strict["examples"]
    for r in rows:
        assert float(r["finance_bpc"]) > 0 and float(r["general_bpc"]) > 0
        assert r["proxy_steps"] == "4"
    assert (out / "ablation.png").stat().st_size > 1000
    assert "finance_bpc" in (out / "ablation.md").read_text()
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("variants/*/proxy.json")}
    assert main(argv) == 0  # nothing is rebuilt, retrained or rescored
    assert {p: p.stat().st_mtime_ns for p in out.glob("variants/*/proxy.json")} == stamps
