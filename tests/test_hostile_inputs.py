"""Hostile inputs beside a good file (issue 25, the build): a gzip bomb and a huge line, FIFOs and
sockets, symbolic links out of the inputs and in loops, nesting 100,000 deep, a file name that is
not UTF-8. Each is quarantined with its reason, the build goes on and the good files come out as
they do without it."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.extract.readers import RawFileReader, read_jsonl_gz
from kinyu.corpus.extract.walk import walk_inputs
from kinyu.corpus.pipeline import build
from kinyu.corpus.sample import sample_dir

GOOD = "kessan_icho_shoken_2025.html"  # kept by the default filters
OTHER_GOOD = "ir_kotori_bussan_kogaisha.html"
REPO = Path(__file__).resolve().parents[1]


def read(path: Path, **kw) -> dict:
    return {d.id: d for d in RawFileReader([str(path)], **kw).run()}


def reasons(docs: dict) -> dict[str, str]:
    return {i: d.metadata["quarantine"]["reason"] for i, d in docs.items() if "quarantine" in d.metadata}


def write_gzip(path: Path, head: bytes, repeated: bytes, times: int, tail: bytes = b"") -> None:
    """A gzip file of ``head``, ``repeated`` ``times`` times and ``tail``, written in pieces (a bomb
    need not be held in memory to be made)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(z.compress(head))
        for _ in range(times):
            f.write(z.compress(repeated))
        f.write(z.compress(tail))
        f.write(z.flush())


# --- gzip bomb and huge lines ------------------------------------------------------------------

GOOD_LINES = b"".join(json.dumps({"text": f"{i}番目の良い記録です。"}, ensure_ascii=False).encode() + b"\n" for i in range(3))


def test_gzip_bomb_is_cut_with_the_lines_before_it_kept(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    write_gzip(bomb, GOOD_LINES, b'{"text": "' + b"a" * 1000 + b'"}\n', 50_000)  # 50 MB from ~50 KB
    assert bomb.stat().st_size < 1 << 20
    docs = read(bomb)
    assert [docs[f"bomb.jsonl.gz#{n}"].text for n in (1, 2, 3)] == [
        f"{i}番目の良い記録です。" for i in range(3)]
    (bad,) = [d for d in docs.values() if "quarantine" in d.metadata]
    assert bad.metadata["quarantine"]["reason"] == "gzip_bomb"
    assert "input.zip_max_ratio 200" in bad.metadata["quarantine"]["detail"]
    assert len(docs) < 5000  # stopped a few MB in (the ratio lags the compressed read-ahead), not 50,000 records later


def test_gzip_file_inflating_past_the_total_limit_is_cut(tmp_path):
    many = tmp_path / "many.jsonl.gz"
    write_gzip(many, GOOD_LINES, b'{"text": "' + b"b" * 1000 + b'"}\n', 3000)
    from kinyu.corpus.extract.archives import ZipLimits

    assert not reasons(read(many, zip_limits=ZipLimits(64 << 20, 1e9, 16 << 30)))  # the ratio check off: 3 MB are read
    docs = read(many, zip_limits=ZipLimits(64 << 20, 1e9, 1 << 20))
    (bad,) = [d for d in docs.values() if "quarantine" in d.metadata]
    assert bad.metadata["quarantine"]["reason"] == "gzip_bomb" and "input.zip_max_total_mb" in bad.metadata["quarantine"]["detail"]


def test_a_line_over_the_size_limit_is_quarantined_alone_and_the_next_line_read(tmp_path):
    from kinyu.corpus.extract.archives import ZipLimits

    huge = tmp_path / "huge.jsonl.gz"
    write_gzip(huge, GOOD_LINES + b'{"text": "', b"c" * (1 << 20), 20, b'"}\n' + GOOD_LINES)
    docs = read(huge, max_file_bytes=1 << 20, zip_limits=ZipLimits(1 << 20, 1e9, 1 << 30))
    assert reasons(docs) == {"huge.jsonl.gz#4": "too_large"}
    assert "line 4: over 1048576 bytes (input.max_file_mb)" in docs["huge.jsonl.gz#4"].metadata["quarantine"]["detail"]
    assert sorted(d.metadata["line"] for d in docs.values() if "quarantine" not in d.metadata) == [1, 2, 3, 5, 6, 7]


def test_a_cut_gzip_stream_keeps_what_came_before(tmp_path):
    cut = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(b"".join(json.dumps({"text": f"記録{i}"}).encode() + b"\n" for i in range(100_000)))
    cut.write_bytes(data[: len(data) // 2])
    docs = read(cut)
    bad = [d for d in docs.values() if "quarantine" in d.metadata]
    assert len(bad) == 1 and bad[0].metadata["quarantine"]["reason"] == "corrupt"
    assert len(docs) > 1000 and "unreadable from this line on" in bad[0].metadata["quarantine"]["detail"]


_RSS_PROBE = """
import resource, sys
from kinyu.corpus.extract.archives import ZipLimits
from kinyu.corpus.extract.readers import RawFileReader
reader = RawFileReader([sys.argv[1]], max_file_bytes=int(sys.argv[2]), zip_limits=ZipLimits(int(sys.argv[2]), float(sys.argv[3]), 16 << 30))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
reasons = [d.metadata.get("quarantine", {}).get("reason") for d in reader.run()]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import json
print(json.dumps({"grown_kb": after - before, "reasons": sorted(set(map(str, reasons)))}))
"""


@pytest.mark.parametrize("case", ["bomb", "line"])
def test_reading_a_bomb_or_a_huge_line_keeps_memory_bounded(tmp_path, case):
    # inflating the whole file first (as before) takes about 3x its inflated size: ~600 MB here
    path = tmp_path / f"{case}.jsonl.gz"
    if case == "bomb":
        write_gzip(path, GOOD_LINES, b'{"text": "' + b"a" * 1000 + b'"}\n', 200_000)  # 200 MB of records
        limit, ratio = 64 << 20, 200.0
    else:
        write_gzip(path, GOOD_LINES + b'{"text": "', b"a" * (1 << 20), 200, b'"}\n' + GOOD_LINES)  # one 200 MB line
        limit, ratio = 16 << 20, 1e9
    out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(path), str(limit), str(ratio)], capture_output=True, text=True,
                         timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    grown_mb = result["grown_kb"] / 1024
    assert ("gzip_bomb" if case == "bomb" else "too_large") in result["reasons"]
    assert grown_mb < 100, f"peak RSS grew {grown_mb:.0f} MB reading {case}"


# --- special files -----------------------------------------------------------------------------

def test_fifos_and_sockets_are_listed_as_skipped_never_opened(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    shutil.copy(sample_dir() / GOOD, data / GOOD)
    os.mkfifo(data / "pipe.html")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(data / "sock.html"))
    try:
        listing = walk_inputs([str(data)])
        assert [f.doc_id for f in listing.files] == [f"in/{GOOD}"]
        assert {s.doc_id: (s.reason, s.detail.split(",")[0]) for s in listing.skipped} == {
            "in/pipe.html": ("special_file", "a FIFO (named pipe)"), "in/sock.html": ("special_file", "a socket")}
        docs = read(data)  # would block in open() on the FIFO
        assert reasons(docs) == {"in/pipe.html": "special_file", "in/sock.html": "special_file"}
    finally:
        sock.close()


# --- symbolic links ----------------------------------------------------------------------------

def linked_inputs(tmp_path: Path) -> Path:
    """in/: a good file, a folder and a link to it, a link to a file already read, links out of the
    inputs (/etc/passwd, an HTML file), a link loop, a link to its own folder, a broken link."""
    data, outside = tmp_path / "in", tmp_path / "outside"
    (data / "sub").mkdir(parents=True)
    outside.mkdir()
    shutil.copy(sample_dir() / GOOD, data / GOOD)
    shutil.copy(sample_dir() / OTHER_GOOD, data / "sub" / OTHER_GOOD)
    shutil.copy(sample_dir() / "ir_tsubame_unyu_shihon_cost.html", outside / "o.html")
    (data / "alias").symlink_to("sub")
    (data / "again.html").symlink_to(f"sub/{OTHER_GOOD}")
    (data / "passwd").symlink_to("/etc/passwd")
    (data / "out.html").symlink_to(outside / "o.html")
    (data / "loop_a").symlink_to("loop_b")
    (data / "loop_b").symlink_to("loop_a")
    (data / "sub" / "up").symlink_to("..")
    (data / "gone.html").symlink_to("nothing.html")
    return data


def test_links_inside_are_read_once_links_out_and_loops_are_skipped(tmp_path):
    data = linked_inputs(tmp_path)
    listing = walk_inputs([str(data)])
    assert [f.doc_id for f in listing.files] == [f"in/{GOOD}", f"in/sub/{OTHER_GOOD}"]  # each file once, by its own path
    assert {s.doc_id: s.reason for s in listing.skipped} == {
        "in/passwd": "symlink_outside_inputs", "in/out.html": "symlink_outside_inputs", "in/loop_a": "symlink_loop",
        "in/loop_b": "symlink_loop", "in/sub/up": "symlink_loop", "in/gone.html": "broken_symlink"}
    assert "--input.follow_symlinks true" in next(s.detail for s in listing.skipped if s.doc_id == "in/passwd")
    followed = walk_inputs([str(data)], follow_symlinks=True)
    assert [f.doc_id for f in followed.files] == [f"in/{GOOD}", "in/out.html", "in/passwd", f"in/sub/{OTHER_GOOD}"]


def test_a_folder_of_linked_folders_is_read_when_they_are_inside_the_inputs(tmp_path):
    store, reports = tmp_path / "store", tmp_path / "reports"
    for name in ("r1", "r2"):
        (store / name).mkdir(parents=True)
        shutil.copy(sample_dir() / GOOD, store / name / f"{name}.html")
    reports.mkdir()
    for name in ("r1", "r2"):
        (reports / name).symlink_to(store / name)
    # both given: the links lead inside the inputs, and each file is read once, under its direct path
    assert [f.doc_id for f in walk_inputs([str(reports), str(store)]).files] == ["store/r1/r1.html", "store/r2/r2.html"]
    inside = walk_inputs([str(reports)], follow_symlinks=True)
    assert [f.doc_id for f in inside.files] == ["reports/r1/r1.html", "reports/r2/r2.html"] and inside.links == 2


def test_a_build_whose_inputs_hold_no_readable_file_stops_at_once_in_one_line(tmp_path, capsys):
    from kinyu.cli import main

    store, reports = tmp_path / "store", tmp_path / "reports"
    (store / "r1").mkdir(parents=True)
    shutil.copy(sample_dir() / GOOD, store / "r1" / "r1.html")
    reports.mkdir()
    (reports / "r1").symlink_to(store / "r1")
    out = tmp_path / "run"
    assert main(["corpus", "build", "--input", str(reports), "--output", str(out), "--tokenize.enabled", "false"]) == 2
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "error" in line]
    assert line.startswith("kinyu corpus build: error: cannot start the build: no readable input file in")
    assert "1 symlink_outside_inputs" in line and "Traceback" not in err
    assert not out.exists()  # before any stage, before the run folder
    assert main(["corpus", "build", "--input", str(reports), "--output", str(out), "--tokenize.enabled", "false",
                 "--cache.enabled", "false", "--input.follow_symlinks", "true"]) == 0
    assert [r["id"] for r in read_jsonl_gz(out / "docs")] == ["reports/r1/r1.html"]


# --- deep nesting ------------------------------------------------------------------------------

def test_json_nested_100000_deep_is_quarantined_as_corrupt(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    (data / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (data / "deep.jsonl").write_text('{"a": ' * 100_000 + "1" + "}" * 100_000 + "\n" + json.dumps({"text": "良い記録"}) + "\n")
    deep_meta = {"text": "メタデータが深い記録", "metadata": {}}
    node = deep_meta["metadata"]
    for _ in range(300):  # parses, but the writer (orjson) refuses more than 254 levels
        node["x"] = {}
        node = node["x"]
    (data / "meta.jsonl").write_text(json.dumps(deep_meta, ensure_ascii=False) + "\n")
    docs = read(data)
    assert reasons(docs) == {"in/deep.json": "corrupt", "in/deep.jsonl#1": "bad_jsonl_record"}
    assert "nested too deep" in docs["in/deep.json"].metadata["quarantine"]["detail"]
    assert docs["in/deep.jsonl#2"].text == "良い記録"
    assert docs["in/meta.jsonl#1"].text == "メタデータが深い記録" and "record_metadata" not in docs["in/meta.jsonl#1"].metadata


# --- file names that are not UTF-8 -------------------------------------------------------------

def make_undecodable(folder: Path) -> str:
    """A good HTML file named ``\\xff\\xfe.html``; returns the escaped name."""
    fd = os.open(os.fsencode(str(folder)) + b"/\xff\xfe.html", os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, (sample_dir() / "haito_kusunoki_hd_policy.html").read_bytes())
    os.close(fd)
    return "\\xff\\xfe.html"


def test_a_file_name_that_is_not_utf8_is_read_with_an_escaped_id(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    name = make_undecodable(data)
    (doc,) = read(data).values()
    assert doc.id == f"in/{name}" and doc.metadata["source"] == f"{data}/{name}" and doc.media[0].media_bytes


# --- all of them in one build ------------------------------------------------------------------

def test_a_build_beside_every_hostile_input_keeps_the_good_files_unchanged(tmp_path):
    hostile = linked_inputs(tmp_path / "h")
    os.mkfifo(hostile / "pipe.html")
    write_gzip(hostile / "bomb.jsonl.gz", b"", b'{"text": "' + b"a" * 1000 + b'"}\n', 20_000)
    (hostile / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    name = make_undecodable(hostile / "sub")
    clean = tmp_path / "c" / "in"  # the same good files under the same ids, and nothing else
    (clean / "sub").mkdir(parents=True)
    shutil.copy(hostile / GOOD, clean / GOOD)
    shutil.copy(hostile / "sub" / OTHER_GOOD, clean / "sub" / OTHER_GOOD)
    make_undecodable(clean / "sub")

    def run(label: str, inputs: list[Path]) -> Path:
        cfg = CorpusConfig(output=str(tmp_path / label))
        cfg.input.paths = [str(p) for p in inputs]
        cfg.cache.enabled = False
        cfg.executor.tasks = 1
        cfg.tokenize.enabled = False
        return build(cfg)

    with_hostile = run("with", [hostile])
    rows = [json.loads(line) for line in (with_hostile / "quarantine.jsonl").read_text().splitlines()]
    got = {r["id"]: r["reason"] for r in rows}
    for doc_id, reason in {"in/passwd": "symlink_outside_inputs", "in/out.html": "symlink_outside_inputs", "in/loop_a": "symlink_loop",
                           "in/pipe.html": "special_file", "in/deep.json": "corrupt"}.items():
        assert got.get(doc_id) == reason, (doc_id, got)
    assert "gzip_bomb" in got.values()
    summary = json.loads((with_hostile / "stats" / "summary.json").read_text())
    assert summary["accounting"]["balanced"] and summary["accounting"]["skipped_inputs"] == 7
    kept = {r["id"] for r in read_jsonl_gz(with_hostile / "docs")}
    assert f"in/{GOOD}" in kept and f"in/sub/{name}" in kept
    everything = b"".join(gzip.decompress(p.read_bytes()) for p in with_hostile.rglob("*.jsonl.gz"))
    assert b"root:x:0:0" not in everything  # /etc/passwd is not in the run
    inputs = json.loads((with_hostile / "manifest.json").read_text(encoding="utf-8"))["inputs"]
    assert f"in/sub/{name}" in [i["id"] for i in inputs] and "in/pipe.html" not in [i["id"] for i in inputs]

    without = run("without", [clean])

    def kept_records(run_dir: Path, folder: Path) -> list[dict]:  # the same but for where the folder is
        return [json.loads(json.dumps(r).replace(str(folder), "IN")) for r in read_jsonl_gz(run_dir / "docs")]

    assert len(kept) == 3 and kept_records(with_hostile, hostile) == kept_records(without, clean)


# --- two builds into one folder ----------------------------------------------------------------

_HOLD_LOCK = """
import sys, time
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.run_folder import locked_run
cfg = CorpusConfig(output=sys.argv[1])
cfg.input.paths = [sys.argv[2]]
cfg.cache.enabled = False
cfg.executor.tasks = 1
cfg.tokenize.enabled = False
with locked_run(cfg):
    print("locked", flush=True)
    time.sleep(600)
"""


def small_cli_build(out: Path, inputs: Path) -> int:
    from kinyu.cli import main

    return main(["corpus", "build", "--input", str(inputs), "--output", str(out), "--tasks", "1", "--cache.enabled", "false",
                 "--tokenize.enabled", "false"])


def hold_lock(out: Path, inputs: Path) -> subprocess.Popen:
    """A real process that set the run folder up and holds its lock, as a running build does."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(out), str(inputs)], stdout=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_build_into_a_running_builds_folder_is_refused_and_a_stale_lock_taken_over(tmp_path, capsys):
    data = tmp_path / "in"
    data.mkdir()
    shutil.copy(sample_dir() / GOOD, data / GOOD)
    out = tmp_path / "run"
    first = hold_lock(out, data)
    try:
        assert small_cli_build(out, data) == 2
        err = capsys.readouterr().err
        (line,) = [line for line in err.splitlines() if "error" in line]
        assert f"is being written by another build: pid {first.pid} on host" in line and "Traceback" not in err
        assert not (out / "docs").exists()  # the second build wrote nothing
    finally:
        first.kill()  # kill -9: its flock goes with it, the lock file stays
        first.wait()
    assert small_cli_build(out, data) == 0
    err = capsys.readouterr().err
    assert f"pid {first.pid}" in err and "did not finish and is gone; taking the folder over" in err
    assert (out / "docs").is_dir() and (out / "build.lock").read_text() == ""  # released at the end


# --- kill -9 of the build ----------------------------------------------------------------------

@pytest.mark.slow
def test_after_kill_9_of_the_build_its_processes_die_and_a_rerun_resumes_byte_identical(tmp_path):
    import signal
    import time

    import psutil

    from testkit.outputs import output_digest

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "kinyu.cli", "corpus", "build", "--output", str(out), "--workers", "2", "--tasks", "4",
                "--cache.enabled", "false", "--tokenize.enabled", "false"]

    def cmdline(p: psutil.Process) -> str:
        try:
            return " ".join(p.cmdline())
        except psutil.Error:  # ended meanwhile (a zombie until its parent reaps it)
            return ""

    out = tmp_path / "killed"
    build_proc = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    parent = psutil.Process(build_proc.pid)
    deadline = time.monotonic() + 60
    while not any("forkserver" in cmdline(c) for c in parent.children(recursive=True)) and build_proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # the pool's workers are at work on the extract stage
    children = parent.children(recursive=True)
    assert build_proc.poll() is None and len(children) >= 3  # the Manager, the forkserver, the workers
    os.kill(build_proc.pid, signal.SIGKILL)
    build_proc.wait()
    gone, alive = psutil.wait_procs(children, timeout=10)
    still = [cmdline(p)[:80] for p in alive]
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    assert not still
    rerun = subprocess.run(command(out), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    clean = subprocess.run(command(tmp_path / "clean"), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert clean.returncode == 0
    assert output_digest(out) == output_digest(tmp_path / "clean")


# --- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (mounting one takes root; elsewhere the test is skipped), and a way to grow it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")

    def grow(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)

    try:
        yield disk, grow
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.slow
@pytest.mark.parametrize("size", ["8k", "1m"])  # full before the first stage's tasks, or in a late stage's writer
def test_a_full_disk_ends_in_one_line_and_the_rerun_resumes_byte_identical(tmp_path, small_disk, size):
    from testkit.outputs import output_digest

    disk, grow = small_disk
    grow(size)

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "kinyu.cli", "corpus", "build", "--output", str(out), "--tasks", "2", "--cache.enabled", "false"]

    full = subprocess.run(command(disk / "run"), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert full.returncode == 1 and "Traceback" not in full.stderr and "Error" not in full.stderr
    (line,) = [line for line in full.stderr.splitlines() if "error" in line]
    assert line.startswith(f"kinyu corpus build: error: disk full: no space left on {disk} (") and " while the " in line
    assert f" wrote {disk / 'run'}" in line and "rerun the same command: it resumes" in line
    grow("64m")
    resumed = subprocess.run(command(disk / "run"), capture_output=True, text=True, cwd=REPO, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert subprocess.run(command(tmp_path / "clean"), capture_output=True, cwd=REPO, timeout=300).returncode == 0
    assert output_digest(disk / "run") == output_digest(tmp_path / "clean")
