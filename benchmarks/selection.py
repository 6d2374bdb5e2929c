"""The language rule's two signals (``select.language``) on real Japanese and non-Japanese text:
the share of kana/kanji among letters and the share of kana alone, per set (min, 5th percentile,
median, max), and how many documents of each set the default thresholds keep.

    python benchmarks/selection.py [--runs RUN ...]

Japanese: general-ja/heldout (news), chABSA (有報 sentences per company), EDINET 有報 sections
(edinet-asr-html through kinyu's HTML extraction and normaliser), Wikipedia sentences in groups
of 20, and the kept documents of any corpus runs given (e.g. a run of the MHLW PDFs). Not Japanese:
English prose (the shared data's own English MANIFEST files; the licence texts in
/usr/share/common-licenses where present) and Chinese and Korean (CPython's test/cjkencodings
texts where present, in paragraphs).
"""

from __future__ import annotations

import argparse
import json
import sys
import sysconfig
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from testkit.shared import require_shared  # noqa: E402


def paragraphs(text: str, min_chars: int = 200) -> list[str]:
    out, current = [], ""
    for block in text.split("\n\n"):
        current = f"{current}\n\n{block}" if current else block
        if len(current) >= min_chars:
            out.append(current)
            current = ""
    return out + ([current] if current.strip() else [])


def japanese_sets(runs: list[str]) -> dict[str, list[str]]:
    from kinyu.corpus.extract.decode import decode_bytes
    from kinyu.corpus.extract.html import extract_html
    from kinyu.corpus.extract.readers import read_jsonl_gz
    from kinyu.corpus.normalize import normalize_japanese

    general = require_shared("general-ja", "heldout")
    real = require_shared("real")
    sets: dict[str, list[str]] = {"general-ja heldout": []}
    for p in sorted(general.glob("*.jsonl")):
        with open(p, encoding="utf-8") as f:
            sets["general-ja heldout"] += [normalize_japanese(json.loads(line)["text"]) for line in f if line.strip()]
    sets["chABSA (per company)"] = [
        normalize_japanese("\n".join(s["sentence"] + "。" for s in json.loads(p.read_text(encoding="utf-8"))["sentences"]))
        for p in sorted((real / "chabsa-json").glob("*.json"))
    ]
    sets["EDINET 有報 sections"] = [
        normalize_japanese(extract_html(decode_bytes(p.read_bytes()).text)[0]) for p in sorted((real / "edinet-asr-html").glob("*.html"))
    ]
    wiki = json.loads((real / "wikipedia-ner-ja" / "ner_dev.json").read_text(encoding="utf-8"))
    sets["Wikipedia (20 sentences)"] = [normalize_japanese("".join(r["text"] for r in wiki[i:i + 20])) for i in range(0, len(wiki), 20)]
    for run in runs:
        sets[f"run {Path(run).name} (kept)"] = [rec["text"] for rec in read_jsonl_gz(Path(run) / "docs")]
    return sets


def foreign_sets() -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {"English": []}
    for p in sorted(require_shared().rglob("MANIFEST.md")):
        sets["English"] += [t for t in paragraphs(p.read_text(encoding="utf-8")) if t.isascii()]
    licenses = Path("/usr/share/common-licenses")
    for p in sorted(licenses.glob("*")) if licenses.is_dir() else []:
        if p.is_file():
            sets["English"] += paragraphs(p.read_text(encoding="utf-8", errors="replace"))[:20]
    cjk = Path(sysconfig.get_paths()["stdlib"]) / "test" / "cjkencodings"
    for name, files in (("Chinese", ("gb2312", "gbk", "gb18030", "big5", "big5hkscs", "hz")), ("Korean", ("euc_kr", "cp949", "johab"))):
        texts = [t for f in files if (cjk / f"{f}-utf8.txt").is_file()
                 for t in paragraphs((cjk / f"{f}-utf8.txt").read_text(encoding="utf-8"), 100)]
        if texts:
            sets[name] = texts
    return sets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="*", default=[], help="corpus runs whose kept documents count as Japanese sets too")
    args = ap.parse_args()
    from kinyu.corpus.select.language import LanguageConfig, script_shares

    cfg = LanguageConfig()
    print(f"{'set':<30}{'docs':>6}  {'kana+kanji among letters: min / p5 / median / max':<52}{'kana among letters: min / p5 / median':<40}{'kept':>6}")
    for kind, sets in (("Japanese", japanese_sets(args.runs)), ("not Japanese", foreign_sets())):
        print(f"-- {kind}")
        for name, texts in sets.items():
            shares = np.array([script_shares(t)[:2] for t in texts if t.strip()])
            if not len(shares):
                continue
            ja, kana = shares[:, 0], shares[:, 1]
            kept = int(((ja >= cfg.min_japanese_share) & (kana >= cfg.min_kana_share)).sum())
            q = lambda a: " / ".join(f"{v:.3f}" for v in (a.min(), np.quantile(a, 0.05), np.median(a)))  # noqa: E731
            print(f"{name:<30}{len(shares):>6}  {q(ja) + f' / {ja.max():.3f}':<52}{q(kana):<40}{kept:>6}")
    print(f"\nthresholds: min_japanese_share {cfg.min_japanese_share}, min_kana_share {cfg.min_kana_share} (select.language)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
