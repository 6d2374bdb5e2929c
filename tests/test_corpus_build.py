"""`kinyu corpus build` end to end on the embedded sample: outcomes per file, accounting,
byte-identical reruns, resume after SIGKILL, repeated --input (the Slurm and Ray clusters are in
test_corpus_cluster.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kinyu.corpus.normalize import normalize_japanese
from kinyu.corpus.sample import load_manifest, sample_dir
from kinyu.corpus.shards import list_shards
from testkit.shared import shared

REPO = Path(__file__).resolve().parents[1]


def build_args(out: Path, cache: Path, *extra: str) -> list[str]:
    return ["--output", str(out), "--tasks", "2", "--cache.dir", str(cache), *extra]


def run_cli(*args: str) -> int:
    from kinyu.cli import main

    return main(["corpus", "build", *args])


def read_docs(run: Path) -> dict[str, dict]:
    docs = {}
    for path in sorted((run / "docs").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                docs[rec["id"]] = rec
    return docs


def tree_digest(run: Path, parts=("docs", "tokens", "removed", "quarantine.jsonl", "tokenizer")) -> dict[str, str]:
    out = {}
    for part in parts:
        root = run / part
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            out[str(p.relative_to(run))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("sample")
    run = base / "run"
    assert run_cli(*build_args(run, base / "cache", "--workers", "1")) == 0
    return run


def test_every_input_is_accounted_for(sample_run):
    summary = json.loads((sample_run / "stats" / "summary.json").read_text())
    acc = summary["accounting"]
    expected_inputs = sum(f.documents for f in load_manifest())
    assert acc["inputs"] == expected_inputs
    assert acc["balanced"], acc
    assert acc["kept"] == len(read_docs(sample_run))
    manifest = json.loads((sample_run / "manifest.json").read_text())
    assert manifest["accounting"] == acc
    assert manifest["versions"]["datatrove"] and manifest["versions"]["trafilatura"]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert len(manifest["inputs"]) == len(load_manifest())
    assert manifest["config"]["executor"]["tasks"] == 2


def test_bad_inputs_are_quarantined_with_their_reason(sample_run):
    rows = [json.loads(line) for line in (sample_run / "quarantine.jsonl").read_text().splitlines()]
    by_file = {Path(r["path"]).name: r for r in rows}
    expected = {f.file: f.expect.split(":", 1)[1] for f in load_manifest() if f.expect.startswith("quarantine:")}
    assert expected, "the sample must hold bad inputs"
    for name, reason in expected.items():
        assert name in by_file, f"{name} not quarantined"
        assert by_file[name]["reason"] == reason, by_file[name]
        assert len(by_file[name]["sha256"]) == 64 and by_file[name]["detail"]


def test_good_documents_are_kept_whole(sample_run):
    docs = read_docs(sample_run)
    texts: dict[str, str] = {}
    for d in docs.values():  # a jsonl file holds several documents
        name = Path(d["metadata"]["source"]).name
        texts[name] = texts.get(name, "") + "\n" + d["text"]
    for f in load_manifest():
        if f.expect != "keep":
            continue
        assert f.file in texts, f"{f.file} was not kept"
        for sentence in f.contains:
            assert normalize_japanese(sentence) in texts[f.file], (f.file, sentence)
        for junk in f.must_not_contain:
            assert junk not in texts[f.file], (f.file, junk)


def test_drops_and_duplicates_are_not_kept(sample_run):
    kept_files = {Path(d["metadata"]["source"]).name for d in read_docs(sample_run).values()}
    for f in load_manifest():
        if f.expect.startswith(("drop:", "exact_duplicate_of:", "near_duplicate_of:")):
            assert f.file not in kept_files, f"{f.file} ({f.expect}) was kept"
        if f.expect.startswith(("exact_duplicate_of:", "near_duplicate_of:")):
            assert f.expect.split(":", 1)[1] in kept_files


def test_token_shards_and_tokenizer(sample_run):
    train = list_shards(sample_run / "tokens" / "train")
    assert sum(len(s) for s in train) > 10_000
    val = list_shards(sample_run / "tokens" / "validation")
    assert sum(s.num_docs for s in val) >= 1
    assert (sample_run / "tokenizer" / "tokenizer.json").is_file()
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(sample_run / "tokenizer" / "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    doc = train[0].document(0)
    assert int(doc[-1]) == eos and eos not in doc[:-1].tolist()
    assert any("\u3040" <= c <= "\u30ff" for c in tok.decode(doc[:-1].tolist()))


def test_rerun_with_two_workers_and_cache_is_byte_identical(sample_run, tmp_path):
    # same config, other folder, 2 workers, and every extraction now a cache hit
    cache = sample_run.parent / "cache"
    assert run_cli(*build_args(tmp_path / "run", cache, "--workers", "2")) == 0
    stats = json.loads((tmp_path / "run" / "stats" / "extract.json").read_text())
    lookup = next(s for s in stats if "cache (lookup)" in s["name"])
    assert lookup["stats"]["hits"]["total"] > 0
    assert tree_digest(tmp_path / "run") == tree_digest(sample_run)


def test_same_folder_with_other_config_is_refused(sample_run, capsys):
    assert run_cli(*build_args(sample_run, sample_run.parent / "cache", "--tokenize.vocab_size", "123")) == 2
    assert "different config" in capsys.readouterr().err


def test_sigkill_mid_build_then_resume_equals_uninterrupted(sample_run, tmp_path):
    out = tmp_path / "run"
    # killed right before the 60th document write: inside the second extract task, after the first finished
    cmd = [sys.executable, "-m", "testkit.crash", "write", "60", "corpus", "build", *build_args(out, tmp_path / "cache", "--workers", "1")]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert proc.wait(timeout=600) == -signal.SIGKILL
    finally:
        # a crashed node takes its helper processes (datatrove's manager, extraction workers) with it
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    completions = out / "logs" / "extract" / "completions"
    assert len(list(completions.iterdir())) == 1, "the kill should land inside the second of two extract tasks"
    assert not (out / "docs").exists()
    assert run_cli(*build_args(out, tmp_path / "cache", "--workers", "1")) == 0
    assert tree_digest(out) == tree_digest(sample_run)
    assert run_cli(*build_args(out, tmp_path / "cache", "--workers", "2")) == 0  # another worker count may resume
    ids = [json.loads(line)["id"] for p in sorted((out / "docs").glob("*.gz")) for line in gzip.open(p, "rt")]
    assert len(ids) == len(set(ids))


def test_repeated_input_flags_read_every_path(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files = sorted(p for p in sample_dir().glob("*.txt") if p.stat().st_size > 2000)[:3]
    a.mkdir()
    b.mkdir()
    (a / files[0].name).write_bytes(files[0].read_bytes())
    (b / files[1].name).write_bytes(files[1].read_bytes())
    single = tmp_path / files[2].name
    single.write_bytes(files[2].read_bytes())
    out = tmp_path / "run"
    # a repeated flag accumulates, and one flag takes several paths
    assert run_cli("--input", str(a), "--input", str(b), str(single), *build_args(out, tmp_path / "cache")) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(Path(i["path"]).name for i in manifest["inputs"]) == sorted(f.name for f in files)
    assert manifest["accounting"]["inputs"] == 3


def test_missing_input_is_an_error_before_any_work(tmp_path, capsys):
    out = tmp_path / "run"
    code = run_cli("--input", str(sample_dir()), "--input", str(tmp_path / "nope"), *build_args(out, tmp_path / "cache"))
    assert code == 2
    err = capsys.readouterr().err
    assert "input not found" in err and str(tmp_path / "nope") in err
    assert not out.exists()


def test_wrong_paths_are_listed_together_before_the_run_folder(tmp_path, capsys):
    """A missing input, tokenizer and Slurm venv: one error naming all three, exit 2, no traceback, no folder."""
    out = tmp_path / "run"
    code = run_cli("--input", str(tmp_path / "nope"), "--tokenize.tokenizer", str(tmp_path / "no_model"),
                   "--executor", "slurm", "--executor.slurm_venv", str(tmp_path / "no_venv"), *build_args(out, tmp_path / "cache"))
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "input not found" in err and "tokenize.tokenizer: no tokenizer.json" in err and "executor.slurm_venv" in err
    assert not out.exists()


def test_input_over_size_limit_is_quarantined_unread(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = next(p for p in sample_dir().glob("*.txt") if p.stat().st_size > 2000)
    (inputs / "good.txt").write_bytes(good.read_bytes())
    (inputs / "big.txt").write_bytes("売上高は増加しました。\n".encode() * 200_000)  # ~6.6 MB
    code = run_cli("--input", str(inputs), *build_args(tmp_path / "run", tmp_path / "cache", "--input.max_file_mb", "1"))
    assert code == 0
    rows = [json.loads(line) for line in (tmp_path / "run" / "quarantine.jsonl").read_text().splitlines()]
    assert [(Path(r["path"]).name, r["reason"]) for r in rows] == [("big.txt", "too_large")]
    assert "limit" in rows[0]["detail"]


@pytest.mark.real_data
def test_planted_benchmark_question_is_gone_from_docs_and_shards(tmp_path):
    from tokenizers import Tokenizer

    fp2 = shared("fin-harness", "fp2")
    item = json.loads((fp2 / "data.json").read_text(encoding="utf-8"))["data"][3]
    question = item["question"] + "\n" + item["context"]
    planted_line = question.splitlines()[2]  # 「２．国民健康保険の加入者は、全員が被保険者であり、…」
    inputs = tmp_path / "in"
    inputs.mkdir()
    goods = [f.path for f in load_manifest() if f.expect == "keep" and f.file.endswith(".txt") and f.encoding in ("utf-8", None)][:4]
    for p in goods[1:]:
        (inputs / p.name).write_bytes(p.read_bytes())
    host = goods[0].read_text(encoding="utf-8")  # not an input itself: it would be the planted one's near-duplicate
    (inputs / "planted.txt").write_text(host.replace("\n\n", f"\n\n{question}\n\n", 1) + "\n\n社内メモ: 追加の説明です。", encoding="utf-8")
    out = tmp_path / "run"
    code = run_cli(
        "--input", str(inputs),
        *build_args(out, tmp_path / "cache", "--decontamination.enabled", "true", "--decontamination.benchmark_paths", str(fp2),
                    "--tokenize.validation_fraction", "0"),
    )
    assert code == 0
    target = normalize_japanese(planted_line)[3:30]
    docs = read_docs(out)
    assert "in/planted.txt" in docs  # paragraph mode: the document stays, without the question
    assert all(target not in d["text"] for d in docs.values())
    tok = Tokenizer.from_file(str(out / "tokenizer" / "tokenizer.json"))
    shard_text = "".join(tok.decode(s.tokens.tolist()) for s in list_shards(out / "tokens" / "train"))
    assert target not in shard_text
    assert normalize_japanese(host.splitlines()[0])[:20] in shard_text
    removed = [json.loads(line) for p in (out / "removed" / "decontamination").glob("*.gz") for line in gzip.open(p, "rt")]
    assert removed and all("fp2" in json.dumps(r["metadata"], ensure_ascii=False) for r in removed)
    rows = assert_funnel_is_honest(out)
    assert next(r for r in rows if r["step"] == "benchmark decontamination")["chars_removed"] > 0


def test_stats_json_compare_and_dedup_check(sample_run, tmp_path, capsys):
    from kinyu.cli import main

    strict = tmp_path / "strict"
    assert run_cli(*build_args(strict, sample_run.parent / "cache", "--quality.script.min_hiragana_ratio", "0.3")) == 0
    capsys.readouterr()
    assert main(["corpus", "stats", str(sample_run), "--json", "--samples", "1", "--compare", str(strict)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["accounting"]["balanced"]
    assert any(r["step"] == "Quarantine" and r["dropped"] == 5 for r in data["steps"])
    assert {c["kind"] for c in data["near_duplicates"]} == {"exact_dedup", "minhash_dedup"}
    lost = data["compare"]["kept_only_in_a"]
    assert lost and all(row["reason_in_b"].startswith("script:") for row in lost)
    assert main(["corpus", "stats", str(sample_run), "--samples", "1"]) == 0
    assert "balanced" in capsys.readouterr().out
    assert main(["corpus", "dedup-check", str(sample_run), "--threshold", "0.5"]) == 0


def test_characters_removed_per_reason_in_stats_and_report(sample_run, tmp_path, capsys):
    from kinyu.corpus.reporting.html import build_report
    from kinyu.corpus.reporting.run_reader import removed_chars
    from kinyu.cli import main

    # the figure is the length of what each step wrote to removed/<step>/, by reason
    expected: dict[str, dict[str, int]] = {}
    for step_dir in sorted(p for p in (sample_run / "removed").iterdir() if p.is_dir()):
        for path in sorted(step_dir.glob("*.jsonl.gz")):
            for line in gzip.open(path, "rt", encoding="utf-8"):
                rec = json.loads(line)
                reasons = expected.setdefault(step_dir.name, {})
                reason = rec["metadata"]["filter_reason"]
                reasons[reason] = reasons.get(reason, 0) + len(rec.get("text", ""))  # an empty text is not written
    chars = removed_chars(sample_run)
    assert chars == expected and sum(sum(r.values()) for r in chars.values()) > 0
    capsys.readouterr()
    assert main(["corpus", "stats", str(sample_run), "--json", "--samples", "0"]) == 0
    assert json.loads(capsys.readouterr().out)["removed_chars"] == expected
    page = build_report(sample_run, tmp_path / "report.html").read_text(encoding="utf-8")
    biggest_step, reasons = max(expected.items(), key=lambda kv: max(kv[1].values()))
    reason, n = max(reasons.items(), key=lambda kv: kv[1])
    assert "characters removed" in page and f"<td class=\"\">{reason}</td><td class=\"num\">{n:,}</td>" in page


def test_resume_may_change_how_tasks_run_but_not_how_many(tmp_path):
    from kinyu.corpus.config import CorpusConfig
    from kinyu.corpus.run_folder import RunFolderError, prepare_run
    from kinyu.base.config import load_config

    run = tmp_path / "run"
    prepare_run(load_config(CorpusConfig, None, {"output": str(run)}))
    # a run started locally may be finished on Slurm with more workers (the output is the same)
    prepare_run(load_config(CorpusConfig, None, {"output": str(run), "executor.kind": "slurm", "executor.workers": 8,
                                                 "executor.slurm_partition": "fin"}))
    with pytest.raises(RunFolderError, match="executor"):
        prepare_run(load_config(CorpusConfig, None, {"output": str(run), "executor.tasks": 9}))


def _removed_by_folder(run: Path) -> dict[str, tuple[int, int]]:
    """removed/<folder>/: (records, characters)."""
    out = {}
    for step_dir in sorted(p for p in (run / "removed").iterdir() if p.is_dir()):
        recs = [json.loads(line) for path in sorted(step_dir.glob("*.jsonl.gz")) for line in gzip.open(path, "rt", encoding="utf-8")]
        out[step_dir.name] = (len(recs), sum(len(r.get("text", "")) for r in recs))  # an empty text is not written
    return out


def assert_funnel_is_honest(run: Path) -> list[dict]:
    """Every funnel row's characters are what that step removed or kept, checked against removed/ and docs/."""
    from kinyu.corpus.filters.registry import FILTERS
    from kinyu.corpus.reporting.run_reader import _plain, step_rows

    folder_of = {_plain(cls.name): slug for slug, cls in FILTERS}
    folder_of.update({"Empty text": "empty", "exact dedup: filter": "exact_dedup", "MinHash: filter": "minhash_dedup",
                      "benchmark decontamination": "decontamination"})
    removed = _removed_by_folder(run)
    rows = step_rows(run)
    assert rows[0]["step"] == "Quarantine" and rows[0]["chars_removed"] is None  # quarantined inputs never had text
    quarantined = [line for line in (run / "quarantine.jsonl").read_text().splitlines() if line.strip()]
    assert rows[0]["dropped"] == len(quarantined)
    for before, row in zip(rows, rows[1:]):
        assert row["chars_in"] == before["chars_out"], row  # no step's change is booked on another row
        assert row["chars_removed"] == row["chars_in"] - row["chars_out"]
        assert row["docs_in"] == before["docs_out"], row
    for row in rows[1:]:
        folder = folder_of.get(row["step"])
        if row["step"] == "Japanese normaliser":
            assert row["dropped"] == 0
        elif row["step"] == "Japanese line cleaner":
            blocks, chars = removed.get("line_clean", (0, 0))
            # the cut lines' text, and the line breaks that went with them
            assert row["dropped"] == 0 and chars <= row["chars_removed"] <= chars + blocks
        elif row["step"] == "Personal information":
            # masking changes the length of kept documents (a value for its placeholder); dropped ones go to removed/pii
            records, chars = removed.get("pii", (0, 0))
            assert row["dropped"] == records, row
        elif row["step"] == "benchmark decontamination":
            records, chars = removed.get(folder, (0, 0))
            assert chars <= row["chars_removed"] <= chars + 2 * records  # cut paragraphs and their blank lines
        else:
            assert folder is not None, f"no removed/ folder known for {row['step']!r}"
            records, chars = removed.get(folder, (0, 0))
            assert (row["dropped"], row["chars_removed"]) == (records, chars), row
    kept = read_docs(run)
    assert rows[-1]["docs_out"] == len(kept) and rows[-1]["chars_out"] == sum(len(d["text"]) for d in kept.values())
    return rows


def test_funnel_characters_are_each_steps_own(sample_run):
    rows = assert_funnel_is_honest(sample_run)
    by_step = {r["step"]: r for r in rows}
    # the two misattributions: the line cleaner's cut was booked on Mojibake, NFKC's growth on Empty text
    assert by_step["Japanese line cleaner"]["chars_removed"] > 0
    assert by_step["Japanese normaliser"]["chars_removed"] < 0  # NFKC lengthens the sample (㈱ -> (株))
    assert by_step["Empty text"]["chars_removed"] == 0
    assert by_step["Mojibake"]["chars_removed"] == _removed_by_folder(sample_run)["mojibake"][1] > 0


def test_report_says_documents_and_files(sample_run, tmp_path):
    from kinyu.corpus.reporting.html import build_report

    manifest = json.loads((sample_run / "manifest.json").read_text())
    acc = manifest["accounting"]
    assert acc["input_files"] == len(manifest["inputs"]) < acc["inputs"]  # the sample's jsonl files hold several records
    page = build_report(sample_run, tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"documents <b>{acc['inputs']}</b> (from {acc['input_files']} input files) = kept <b>{acc['kept']}</b>" in page
    assert f"input files ({len(manifest['inputs'])}; {acc['inputs']} documents read from them)" in page


@pytest.mark.parametrize("columns", [None, "80", "60"])
def test_stats_keeps_every_column_piped_and_narrow(sample_run, columns):
    from kinyu.corpus.reporting.run_reader import step_rows

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    if columns:
        env["COLUMNS"] = columns
    out = subprocess.run([sys.executable, "-m", "kinyu.cli", "corpus", "stats", str(sample_run), "--samples", "0"],
                         cwd=REPO, capture_output=True, text=True, env=env, timeout=120).stdout  # piped: no terminal
    width = int(columns or 80)
    assert max(len(line) for line in out.splitlines()) <= width
    assert "…" not in out  # nothing cut off
    rows, cells = [], None  # the funnel's rows, each cell's wrapped lines joined
    for line in out.split("┡", 1)[1].split("└", 1)[0].splitlines()[1:]:
        if line.startswith("│"):
            parts = [c.strip() for c in line.strip("│").split("│")]
            cells = parts if cells is None else [a + b for a, b in zip(cells, parts)]
        elif cells is not None:
            rows.append(cells)
            cells = None
    rows += [cells] if cells else []
    heads = None
    for line in out.split("┏", 1)[1].split("┡", 1)[0].splitlines()[1:]:
        parts = ["".join(c.split()) for c in line.strip("┃").split("┃")]
        heads = parts if heads is None else [a + b for a, b in zip(heads, parts)]
    assert heads[:6] == ["step", "docsin", "kept", "dropped", "charsremoved", "charskept"], heads
    expected = step_rows(sample_run)
    assert len(rows) == len(expected)
    for got, r in zip(rows, expected):
        text = "".join("".join(got).split())
        assert "".join(r["step"].split()) in text
        for reason, n in r["reasons"].items():
            assert f"{reason}{n}" in text, reason  # in its own column, or under the step's name
        assert f"{r['chars_out']:,}" in got
    wide = subprocess.run([sys.executable, "-m", "kinyu.cli", "corpus", "stats", str(sample_run), "--samples", "0"],
                          cwd=REPO, capture_output=True, text=True, env={**env, "COLUMNS": "200"}, timeout=120).stdout
    assert any("reasons" in line and "step" in line for line in wide.splitlines())  # room enough: a column of its own
