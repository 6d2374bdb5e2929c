"""The users' daily workflows: `kinyu demo`, the HTML report, notebooks, fast regeneration,
ablations with proxy training."""

from __future__ import annotations

import gzip
import json
import math
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kinyu.corpus.reporting.html import SECTIONS
from testkit.outputs import output_digest

REPO = Path(__file__).resolve().parents[1]
DEMO_STEPS = 8


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    from kinyu.cli import main

    out = tmp_path_factory.mktemp("demo")
    os.environ.setdefault("KINYU_CACHE_DIR", str(out / "cache"))
    assert main(["demo", "--out", str(out), "--steps", str(DEMO_STEPS)]) == 0
    return out


def test_demo_leaves_every_output(demo_out):
    assert (demo_out / "corpus" / "report.html").is_file()
    assert (demo_out / "corpus" / "manifest.json").is_file()
    metrics = [json.loads(line) for line in (demo_out / "train" / "metrics.jsonl").read_text().splitlines()]
    losses = [m["loss"] for m in metrics if m.get("loss") is not None]
    assert losses and all(math.isfinite(x) and x > 0 for x in losses)
    assert max(m["step"] for m in metrics) == DEMO_STEPS  # trained for the steps asked
    ckpts = sorted((demo_out / "train" / "checkpoints").glob("step_*"))
    assert [c.name for c in ckpts] == ["step_000004", "step_000008"]  # every DEMO_STEPS // 2 steps
    assert all((c / "hf" / "config.json").is_file() for c in ckpts)

    results = json.loads((demo_out / "eval" / "results.json").read_text())
    assert results["metrics"] == ["bpc/finance_val", "bpc/general"]
    rows = results["checkpoints"]
    assert [r["checkpoint"] for r in rows] == [c.name for c in ckpts]  # one row per checkpoint
    assert [r["step"] for r in rows] == [4, 8] and 0 < rows[0]["tokens_seen"] < rows[1]["tokens_seen"]
    for r in rows:
        assert all(math.isfinite(v) and v > 0 for v in r["metrics"].values()), r["metrics"]
    # four more steps on the financial corpus lower its held-out bits per character
    assert rows[1]["metrics"]["bpc/finance_val"] < rows[0]["metrics"]["bpc/finance_val"]
    # the scores are those of the corpus run's validation split and the embedded general text
    settings = json.loads((demo_out / "eval" / "sweep.json").read_text())["settings"]
    assert settings["bpc_sets"]["finance_val"] == ["corpus", str(demo_out / "corpus")]
    assert settings["tasks"] == []
    csv = (demo_out / "eval" / "results.csv").read_text().splitlines()
    assert csv[0] == "checkpoint,step,tokens_seen,epoch,bpc/finance_val,bpc/general" and len(csv) == 1 + len(rows)
    assert sorted(p.name for p in (demo_out / "eval" / "plots").glob("*.png")) == ["bpc__finance_val.png", "bpc__general.png"]


def test_demo_masks_the_planted_personal_data(demo_out):
    """The sample's customer-voice page (planted, fictional personal data): masked in docs/,
    the bank's own contact and 法人番号 kept, counted per type in the summary, stats and report."""
    from kinyu.corpus.extract.readers import read_jsonl_gz
    from kinyu.corpus.reporting.console import stats_json
    from kinyu.corpus.sample import sample_dir

    manifest = json.loads((sample_dir() / "MANIFEST.json").read_text(encoding="utf-8"))
    entry = next(f for f in manifest["files"] if f["file"] == "toiawase_hanamizuki_bank.html")
    corpus = demo_out / "corpus"
    (doc,) = [r for r in read_jsonl_gz(corpus / "docs") if r["metadata"]["source"].endswith(entry["file"])]
    for value in entry["must_not_contain"]:
        assert value not in doc["text"], value
    for placeholder in entry["pii"]["placeholders"]:
        assert placeholder in doc["text"], placeholder
    for kept in entry["pii"]["kept"]:
        assert kept in doc["text"], kept
    assert doc["metadata"]["pii"]["counts"] == entry["pii"]["counts"]
    audit = json.dumps(doc["metadata"]["pii"]["audit"], ensure_ascii=False)
    assert not any(v in audit for v in entry["must_not_contain"] + ["山本花子"])  # values hidden
    # no file of the run folder holds a masked value
    for path in corpus.rglob("*"):
        if path.is_file() and path.suffix in (".gz", ".json", ".jsonl", ".html"):
            raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            text = raw.decode("utf-8", errors="replace")
            assert "090-3812-5527" not in text and "472918364055" not in text, path
    pii = json.loads((corpus / "stats" / "summary.json").read_text())["pii"]
    for kind, n in entry["pii"]["counts"].items():
        assert pii[kind]["found"] >= n
    assert pii["phone"]["public"] >= 1 and pii["address"]["public"] >= 1 and pii["name"]["tagged"] >= 2
    assert stats_json(corpus)["pii"] == pii
    section = (corpus / "report.html").read_text(encoding="utf-8").split('<section id="pii">', 1)[1].split("</section>", 1)[0]
    assert "my_number" in section and "audit sample" in section and "&lt;電話番号&gt;" in section


class _Collector(HTMLParser):
    """Section ids, images, and the bold figures of each section of the report."""

    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.bold = set(), [], {}
        self._section, self._in_b = None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
            if tag == "section":
                self._section = a["id"]
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        self._in_b = tag == "b"

    def handle_data(self, data):
        if self._in_b:
            self.bold.setdefault(self._section, []).append(data)
            self._in_b = False


def test_report_has_every_section_and_embedded_images(demo_out):
    page = (demo_out / "corpus" / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(page)
    assert set(SECTIONS) <= parser.ids
    assert len(parser.imgs) >= 4
    assert all(src.startswith("data:image/png;base64,") and len(src) > 2000 for src in parser.imgs)
    assert "encrypted" in page  # the quarantine list names the sample's encrypted PDF
    assert "balanced" in page
    # the summary's figures are the run's accounting
    acc = json.loads((demo_out / "corpus" / "stats" / "summary.json").read_text())["accounting"]
    shown = [int(x.replace(",", "")) for x in parser.bold["summary"]]
    assert shown == [acc["inputs"], acc["kept"], acc["dropped"], acc["quarantined"], acc["kept_chars"]]
    assert acc["inputs"] == acc["kept"] + acc["dropped"] + acc["quarantined"] and acc["kept"] > 0


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
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("outputs") for c in code[:-1])  # every display cell showed something
    # the last cell asserts on the data shown above (an empty or inconsistent display raises there)
    assert code[-1].source.count("assert ") >= 4




def test_filter_only_rebuild_hits_cache_and_equals_cold_build(tmp_path):
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.pipeline import build
    from kinyu.base.config import load_config

    def cfg(out, cache, **over):
        base = {"output": str(tmp_path / out), "cache.dir": str(tmp_path / cache), "executor.tasks": 2, "tokenize.enabled": False}
        return load_config(CorpusConfig, REPO / "configs" / "corpus.yaml", {**base, **over})

    change = {"extract.min_chars": 400}  # a filter-only change
    build(cfg("warm_first", "cache"))  # fills the cache
    warm = build(cfg("warm", "cache", **change))
    cold = build(cfg("cold", "empty_cache", **change))
    assert output_digest(warm) == output_digest(cold)
    stats = json.loads((warm / "stats" / "extract.json").read_text())
    lookup = next(s for s in stats if "cache (lookup)" in s["name"])["stats"]
    assert "misses" not in lookup and lookup["hits"]["total"] > 40

    # an extraction setting invalidates the PDFs' entries and nothing else
    pdf = build(cfg("pdfminer", "cache", **{"extract.pdf_backend": "pdfminer"}))  # the non-default backend
    stats = json.loads((pdf / "stats" / "extract.json").read_text())
    lookup = next(s for s in stats if "cache (lookup)" in s["name"])["stats"]
    from kinyu.corpus.sample import load_manifest

    all_pdfs = [f for f in load_manifest() if f.file.endswith(".pdf")]
    assert lookup["misses"]["total"] == len(all_pdfs)
    assert lookup["hits"]["total"] > 30


def test_ablation_trains_seeded_proxies_on_fixed_sets_and_is_resumable(tmp_path, monkeypatch):
    import csv

    import yaml

    from kinyu.cli import main

    monkeypatch.setenv("KINYU_CACHE_DIR", str(tmp_path / "cache"))
    proxy = yaml.safe_load((REPO / "configs" / "train" / "tiny_cpu.yaml").read_text())
    proxy["schedule"]["max_steps"] = 4
    proxy["checkpoint"]["every_steps"] = 4
    proxy["logging"]["tensorboard"] = False
    (tmp_path / "proxy.yaml").write_text(yaml.safe_dump(proxy))
    out = tmp_path / "ablation"
    # the embedded sample, named: a base config without input paths would take ../shared/data/filings-u4 where it is there
    from kinyu.corpus.sample import sample_dir

    (tmp_path / "base.yaml").write_text(yaml.safe_dump({"input": {"paths": [str(sample_dir())]}}))
    argv = ["corpus", "ablate", "--vary", "quality.script.min_hiragana_ratio=0.05,0.3", "--proxy", str(tmp_path / "proxy.yaml"),
            "--proxy.seeds", "2", "--out", str(out), "--config", str(tmp_path / "base.yaml")]
    assert main(argv) == 0
    rows = list(csv.DictReader((out / "ablation.csv").open(encoding="utf-8")))
    assert [r["quality.script.min_hiragana_ratio"] for r in rows] == ["0.05", "0.3"]
    loose, strict = rows
    assert int(strict["kept_docs"]) < int(loose["kept_docs"])
    assert int(strict["removed_but_kept_elsewhere"]) > 0 and "script" in strict["examples"]
    for r in rows:
        for m in ("finance_bpc", "finance_kept_bpc", "general_bpc"):
            assert float(r[f"{m}_ci95_low"]) <= float(r[f"{m}_mean"]) <= float(r[f"{m}_ci95_high"]) and float(r[f"{m}_sd"]) > 0
        assert r["proxy_steps"] == "4" and float(r["epochs"]) > 0
    # every variant trains on the same tokens, whatever it removed
    assert loose["proxy_tokens"] == strict["proxy_tokens"]
    # the difference is what the proxies' own per-document scores give: pooled = summed NLL over summed characters per
    # seed, the t side their mean difference, the bootstrap side the mean over seeds and documents of per-document differences
    proxies = {r["variant"]: [json.loads((out / "variants" / r["variant"] / f"proxy_s{s}.json").read_text()) for s in (0, 1)]
               for r in rows}
    for m in ("finance_bpc", "general_bpc"):
        docs = {v: [p["documents"][m] for p in ps] for v, ps in proxies.items()}
        for v, per_seed in docs.items():
            assert [sum(d["nll_bits"]) / sum(d["characters"]) for d in per_seed] == pytest.approx([p[m] for p in proxies[v]], rel=1e-9)
        pooled = [b[m] - a[m] for a, b in zip(proxies[loose["variant"]], proxies[strict["variant"]])]
        assert float(strict[f"{m}_diff"]) == pytest.approx(sum(pooled) / 2, abs=1e-5)
        per_doc = [nb / cb - na / ca for a, b in zip(docs[loose["variant"]], docs[strict["variant"]])
                   for na, ca, nb, cb in zip(a["nll_bits"], a["characters"], b["nll_bits"], b["characters"])]
        assert float(strict[f"{m}_diff_docs_mean"]) == pytest.approx(sum(per_doc) / len(per_doc), abs=1e-5)
        assert float(strict[f"{m}_diff_docs_ci95_low"]) <= float(strict[f"{m}_diff_docs_mean"]) <= float(strict[f"{m}_diff_docs_ci95_high"])
        # the verdict follows the rule: beyond noise only when both intervals exclude 0 on one side
        ablation = json.loads((out / "ablation.json").read_text())
        d = next(r for r in ablation["rows"] if r["variant"] == strict["variant"])["vs_baseline"][m]
        both = (d["ci95"][0] > 0 and d["bootstrap"]["ci95"][0] > 0) or (d["ci95"][1] < 0 and d["bootstrap"]["ci95"][1] < 0)
        assert d["verdict"] == ("beyond noise" if both else "within noise")
        # the trivial baseline per variant: a character n-gram on its own train split, on the same sets
        assert 0 < float(strict[f"{m}_ngram"]) < 20
    md = (out / "ablation.md").read_text()
    assert "## Proxies" in md and "95 % t interval" in md and "Difference to" in md and "seeds: 2 per variant" in md
    # seeds differ; the fixed sets were chosen before the variants and left out of every variant's inputs
    seeds = [json.loads((out / "variants" / loose["variant"] / f"proxy_s{s}.json").read_text()) for s in (0, 1)]
    assert seeds[0]["finance_bpc"] != seeds[1]["finance_bpc"]
    heldout = set(json.loads((out / "eval_sets" / "manifest.json").read_text())["finance"]["heldout_files"])
    assert heldout
    for r in rows:
        inputs = {i["id"] for i in json.loads((out / "variants" / r["variant"] / "corpus" / "manifest.json").read_text())["inputs"]}
        assert inputs and not heldout & inputs
    assert (out / "ablation.png").stat().st_size > 1000
    # tiny_cpu.yaml's validation loss is off for proxies: they are scored on the fixed sets (a strict variant's own
    # validation split may not hold one window)
    proxy_cfg = json.loads((out / "variants" / loose["variant"] / "train_s0" / "manifest.json").read_text())["config"]
    assert proxy["logging"]["eval_every_steps"] > 0 and proxy_cfg["logging"]["eval_every_steps"] == 0
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("variants/*/proxy_s*.json")}
    assert len(stamps) == 4
    assert main(argv) == 0  # nothing is rebuilt, retrained or rescored
    assert {p: p.stat().st_mtime_ns for p in out.glob("variants/*/proxy_s*.json")} == stamps


def test_ablation_refuses_a_bad_vary_before_any_build(tmp_path):
    from kinyu.base.config import ConfigError
    from kinyu.workflows.ablation import AblationConfig, run_ablation

    with pytest.raises(ConfigError, match="KEY=V1,V2"):
        run_ablation(AblationConfig(vary=["quality.script.min_hiragana_ratio"], out=tmp_path))
    with pytest.raises(ConfigError, match="quality.script.no_such_field"):
        run_ablation(AblationConfig(vary=["quality.script.min_hiragana_ratio=0.1", "quality.script.no_such_field=1,2"], out=tmp_path))
    with pytest.raises(ConfigError, match="min_hiragana_ratio"):
        run_ablation(AblationConfig(vary=["quality.script.min_hiragana_ratio=0.1,lots"], out=tmp_path))
    assert not (tmp_path / "variants").exists()
