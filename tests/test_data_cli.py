"""``kinyu data unpack-filings``: the U4 archives to ``DIR/<split>/reports/``, once, refusing a
wrong source before it unpacks anything."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from testkit.shared import shared

REPO = Path(__file__).resolve().parents[1]


def kinyu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kinyu.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_a_missing_archive_is_refused_before_anything_is_unpacked(tmp_path):
    source = tmp_path / "filings-u4"
    source.mkdir()
    with tarfile.open(source / "reports-valid.tar.xz", "w:xz") as tar:  # valid is there, test is not
        member = tmp_path / "S100TEST-0000000.html"
        member.write_text("<html><body>表紙 E99999</body></html>", encoding="utf-8")
        tar.add(member, arcname="reports/S100TEST/S100TEST-0000000.html")
    out = tmp_path / "out"
    done = kinyu("data", "unpack-filings", "--from", str(source), "--split", "valid", "--split", "test", "--to", str(out))
    assert done.returncode == 2
    assert "reports-test.tar.xz not found (there: reports-valid.tar.xz)" in done.stderr
    assert not out.exists()  # valid was not unpacked either: the check comes first
    wrong = kinyu("data", "unpack-filings", "--from", str(tmp_path / "nowhere"), "--to", str(out))
    assert wrong.returncode == 2 and "the filings-u4 folder" in wrong.stderr


def test_a_half_unpacked_split_is_redone(tmp_path):
    from kinyu.base import u4

    source = tmp_path / "filings-u4"
    source.mkdir()
    page = tmp_path / "page.html"
    page.write_text("<html><body>有価証券報告書</body></html>", encoding="utf-8")
    with tarfile.open(source / "reports-test.tar.xz", "w:xz") as tar:
        for doc in ("S100AAAA", "S100BBBB"):
            tar.add(page, arcname=f"reports/{doc}/{doc}-0101010.html")
    root = tmp_path / "out"
    (root / ".test.unpacking" / "reports" / "S100AAAA").mkdir(parents=True)  # what a killed unpack leaves
    seen = []
    reports = u4.unpack(source, root, "test", lambda n, name: seen.append(name))
    assert sorted(p.name for p in reports.iterdir()) == ["S100AAAA", "S100BBBB"]
    assert len(seen) == 2 and not (root / ".test.unpacking").exists()


@pytest.mark.real_data
def test_unpacks_the_valid_split_once(tmp_path):
    source = shared("filings-u4")
    out = tmp_path / "filings"
    first = kinyu("data", "unpack-filings", "--from", str(source), "--split", "valid", "--to", str(out))
    assert first.returncode == 0, first.stderr
    reports = out / "valid" / "reports"
    assert len(list(reports.iterdir())) == 10 and len(list(reports.rglob("*.html"))) == 185  # the MANIFEST's counts
    assert "valid: 10 reports, 185 section files" in first.stderr
    assert f"kinyu corpus build --input {out}" in first.stdout
    stamp = (reports / "S100IY17" / "S100IY17-0105040.html").stat().st_mtime_ns
    again = kinyu("data", "unpack-filings", "--from", str(source), "--split", "valid", "--to", str(out))
    assert again.returncode == 0 and "already unpacked" in again.stderr
    assert (reports / "S100IY17" / "S100IY17-0105040.html").stat().st_mtime_ns == stamp
    assert (source / "reports-valid.tar.xz").is_file()  # the archive stays
