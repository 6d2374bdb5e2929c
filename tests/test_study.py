"""`kinyu study cpt --quick`: the continual-pre-training study at toy size, on the shared real data.

What a user must be able to trust in its table: seeds really differ, every variant is scored on the
same fixed sets (chosen before any variant, held out by document before any filter), every CPT
variant gets the same token budget, seeds pair up (the same start and financial data order across the
variants of a seed), per-document scores add up to the pooled ones and give the bootstrap's differences,
a planted effect (characters shuffled) is reported beyond noise by a stated margin while an A/A repeat
(another data order) is within noise, the trivial n-gram baseline stands beside the models, task scores
carry their chance level, and a second run resumes without training again. The numbers themselves are
not evidence at this size."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from testkit.shared import shared

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


def _args(out: Path) -> list[str]:
    real = shared("real")
    return ["study", "cpt", "--quick", "--out", str(out),
            "--finance-inputs", f"{real / 'edinet-asr-html'},{real / 'legacy-encoding-html'}",
            "--general-train", str(shared("general-ja", "train", "sports-watch.jsonl")),
            "--eval-sets.general-texts", str(shared("general-ja", "heldout")),
            "--data-dir", str(shared("fin-harness")), "--chabsa-dir", str(real / "chabsa-json"),
            "--tasks", "cma_basics,chabsa", "--task-limit", "10"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from kinyu.cli import main

    out = tmp_path_factory.mktemp("study")
    os.environ.setdefault("KINYU_CACHE_DIR", str(out / "cache"))
    assert main(_args(out / "study")) == 0
    return out / "study"


@pytest.fixture(scope="module")
def results(study):
    return json.loads((study / "results.json").read_text(encoding="utf-8"))


VARIANTS = ["cpt", "cpt_replay25", "cpt_unfiltered", "cpt_repeat", "cpt_shuffled"]


def test_table_has_every_model_seed_and_comparison(study, results):
    assert list(results["final"]) == ["base", *VARIANTS]
    # every set that holds text, in SET_LABELS order (a held-out set without tables has no tables set)
    from kinyu.workflows.eval_sets import SET_LABELS

    manifest = json.loads((study / "eval_sets" / "manifest.json").read_text(encoding="utf-8"))
    assert results["metrics"] == [f"{n}_bpc" for n in SET_LABELS if manifest.get(n, {}).get("documents")]
    assert {"finance_bpc", "finance_kept_bpc", "finance_prose_bpc", "general_bpc"} <= set(results["metrics"])
    for row in results["final"].values():
        for m in results["metrics"]:
            assert len(row[m]["values"]) == 3 and row[m]["ci95"][0] <= row[m]["mean"] <= row[m]["ci95"][1]
    pairs = [(c["a"], c["b"]) for c in results["comparisons"]]
    assert [p for p in pairs if p[0] == "base"] == [("base", v) for v in VARIANTS]
    assert [p for p in pairs if p[0] == "cpt"] == [("cpt", v) for v in VARIANTS[1:]]
    report = (study / "report.md").read_text(encoding="utf-8")
    for heading in ("## Final bits per character", "## Differences", "## The five fin-harness tasks", "## Reading it"):
        assert heading in report
    assert (study / "curves.png").stat().st_size > 10_000


def test_seeds_really_differ(study, results):
    finance = results["per_seed_final"]["base"]["finance_bpc"]
    assert len(set(finance)) == 3, finance
    weights = [load_file(next((study / "runs" / f"base_s{s}" / "checkpoints").glob("step_*")) / "hf" / "model.safetensors")
               for s in (0, 1)]
    name = next(k for k in weights[0] if k.endswith("q_proj.weight"))
    assert not torch.equal(weights[0][name], weights[1][name])
    seeds = {json.loads((study / "runs" / f"cpt_s{s}" / "manifest.json").read_text())["config"]["run"]["seed"] for s in range(3)}
    assert len(seeds) == 3


def _weights_sha256(model_dir: Path) -> str:
    import hashlib

    state = load_file(model_dir / "model.safetensors")
    h = hashlib.sha256()
    for key in sorted(state):
        h.update(key.encode())
        h.update(state[key].contiguous().numpy().tobytes())
    return h.hexdigest()


def _financial_windows(run: Path) -> list[tuple[int, int]]:
    """(epoch, window id) of every financial (domain) window the run trained on, in order (data_order.jsonl)."""
    lines = (run / "data_order.jsonl").read_text(encoding="utf-8").splitlines()
    return [(w[1], w[2]) for line in lines for w in json.loads(line)["windows"] if w[0] == 0]


def test_seeds_pair_up_across_variants(study):
    """Seed s of every CPT variant starts from the same weights (base s) and, on the same corpus, sees the financial
    windows in the same order (replay interleaved); across seeds both differ. This is what pairing by seed relies on."""
    runs = study / "runs"
    starts = []
    for s in range(3):
        paths = {json.loads((runs / f"{v}_s{s}" / "manifest.json").read_text())["config"]["model"]["path"] for v in VARIANTS}
        assert len(paths) == 1, paths
        start = Path(paths.pop())
        assert start.resolve() == next((runs / f"base_s{s}" / "checkpoints").glob("step_*")).resolve() / "hf"
        starts.append(_weights_sha256(start))
    assert len(set(starts)) == 3
    orders = [_financial_windows(runs / f"cpt_s{s}") for s in range(3)]
    assert len({tuple(o) for o in orders}) == 3 and all(orders)
    for s in range(3):
        replay = _financial_windows(runs / f"cpt_replay25_s{s}")
        # the replay variant trains on fewer financial windows of the same budget: the same stream, cut shorter
        assert 0.6 * len(orders[s]) < len(replay) < len(orders[s]) and replay == orders[s][:len(replay)]
        assert _financial_windows(runs / f"cpt_repeat_s{s}") != orders[s]  # the A/A control: another order, by design


def test_per_document_scores_give_the_pooled_figures_and_the_differences(results):
    docs = results["per_document_final"]
    for name, per in docs.items():
        for m in results["metrics"]:
            pooled = [sum(nll) / sum(per[m]["characters"]) for nll in per[m]["nll_bits"]]
            assert pooled == pytest.approx(results["per_seed_final"][name][m], rel=1e-9)
            assert len(per[m]["characters"]) == results["final"][name][m]["documents"] >= 1
    planted = _comparison(results, "cpt", "cpt_shuffled")["finance_bpc"]
    a, b = docs["cpt"]["finance_bpc"], docs["cpt_shuffled"]["finance_bpc"]
    chars = a["characters"]
    per_doc = [nb / c - na / c for sa, sb in zip(a["nll_bits"], b["nll_bits"]) for na, nb, c in zip(sa, sb, chars)]
    assert planted["bootstrap"]["mean_over_documents"] == pytest.approx(sum(per_doc) / len(per_doc))
    # the planted effect is large and found by both intervals: shuffled characters cost more than 0.3 bits/char
    assert planted["mean"] > 0.3 and planted["ci95"][0] > 0 and planted["bootstrap"]["ci95"][0] > 0.3
    assert planted["verdict"] == "beyond noise"


def test_the_trivial_baseline_is_reported_beside_the_models(study, results):
    grams = results["ngram_baseline"]
    assert set(grams) == {"general", "fin_default"}
    for m in results["metrics"]:
        assert all(0 < row[m] < 16 for row in grams.values())
    # the n-gram model of the general corpus predicts general text better than the one of the financial corpus
    assert grams["general"]["general_bpc"] < grams["fin_default"]["general_bpc"]
    report = (study / "report.md").read_text(encoding="utf-8")
    assert "trivial baseline: char 5-gram on general" in report and "trivial baseline: char 5-gram on fin_default" in report
    assert "would have been detected" not in report and "if the sd holds" in report


def test_every_variant_is_scored_on_the_same_fixed_sets(study, results):
    scored = {json.dumps(json.loads(p.read_text())["eval_sets"], sort_keys=True) for p in (study / "scores").glob("*.json")}
    assert len(scored) == 1 and len(list((study / "scores").glob("*.json"))) == 3 * (1 + len(VARIANTS))
    sets = json.loads((study / "eval_sets" / "manifest.json").read_text())
    heldout = set(sets["finance"]["heldout_files"])
    assert heldout and sets["finance"]["documents"] >= 1 and sets["general"]["documents"] == 40
    # held out by filer before any filter: no variant's corpus read a held-out file
    for corpus in ("fin_default", "fin_raw"):
        inputs = json.loads((study / "data" / corpus / "manifest.json").read_text())["inputs"]
        assert inputs and not heldout & {i["id"] for i in inputs}


def test_every_cpt_variant_gets_the_same_token_budget(results):
    budgets = {name: {c[-1]["tokens"] for c in curves} for name, curves in results["curves"].items() if name != "base"}
    assert len(set().union(*budgets.values())) == 1, budgets
    replay = [c[-1]["replay_tokens"] / c[-1]["tokens"] for c in results["curves"]["cpt_replay25"]]
    assert all(0.2 <= r <= 0.3 for r in replay), replay
    assert all(c[-1]["replay_tokens"] == 0 for c in results["curves"]["cpt"])


def _comparison(results, a, b):
    return next(c for c in results["comparisons"] if (c["a"], c["b"]) == (a, b))["metrics"]


def test_the_repeat_is_within_noise_and_cpt_lowers_financial_bits(results):
    repeat = _comparison(results, "cpt", "cpt_repeat")
    assert all(repeat[m]["verdict"] == "within noise" and repeat[m]["min_detectable"] > 0 for m in results["metrics"]), repeat
    # in-domain training lowers in-domain bits per character (expected, not the paper's task result): by over 0.2 here
    cpt = _comparison(results, "base", "cpt")["finance_bpc"]
    assert cpt["verdict"] == "beyond noise" and cpt["ci95"][1] < -0.2 and cpt["bootstrap"]["ci95"][1] < -0.2


def test_task_scores_carry_their_chance_level(study, results):
    tasks = results["tasks"]
    assert set(tasks["chance"]) == {"cma_basics", "chabsa"} and 20 < tasks["chance"]["cma_basics"] < 40
    assert all(isinstance(t["near_chance"], bool) for m in tasks["models"].values() for t in m["per_task"].values())
    report = (study / "report.md").read_text(encoding="utf-8")
    assert "| chance |" in report
    # the leaderboard's average skips zero scores: labelled so, with the plain mean of every task beside it
    assert "average (leaderboard Ave., zeros skipped) | mean of all |" in report
    for m in tasks["models"].values():
        per_seed = zip(*(t["values"] for t in m["per_task"].values()))
        assert m["mean_all"]["values"] == pytest.approx([sum(s) / len(tasks["chance"]) for s in per_seed], abs=1e-4)


def test_a_second_run_resumes_without_training_again(study, results):
    from kinyu.cli import main

    runs = sorted((study / "runs").iterdir())
    before = {r.name: (r / "manifest.json").stat().st_mtime_ns for r in runs}
    assert main(_args(study)) == 0
    after = {r.name: (r / "manifest.json").stat().st_mtime_ns for r in runs}
    assert before == after
    again = json.loads((study / "results.json").read_text(encoding="utf-8"))
    assert again["final"] == results["final"] and again["comparisons"] == results["comparisons"]
