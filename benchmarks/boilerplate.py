"""How much of a filings corpus is boilerplate shared across filings: the share of lines that
occur in at least 2, 5 and 20 filings, the characters they hold, and which lines they are.

    python benchmarks/boilerplate.py RUN_DIR [--top 20] [--json FILE]
    # RUN_DIR: a default build of the filings, e.g. benchmarks/filings.py --keep DIR (DIR/kinyu-98)
    #          or kinyu corpus build --input /tmp/u4 --output runs/filings

Reads the kept documents (``RUN_DIR/docs/``). A filing is the folder of a document's source (the
U4 reports' ``<書類管理番号>/``: its section files count as one filing); a line counts once per
filing however often it occurs in it. Lines are compared whitespace-folded (runs of white space as
one space, ends stripped; the text is already NFKC), nothing else. Two populations: the units
paragraph dedup would judge (``kinyu.corpus.dedup.paragraphs.units``, unit ``line``: every line
outside a Markdown table; an extracted HTML paragraph is one line, and the filings' text has no
blank lines, so paragraphs and lines are the same units here) and, for comparison, the table
rows. "Removable" is what paragraph dedup at that threshold would take out: every copy but the
kept document's. One pass over ``docs/``, memory for the distinct lines (a few hundred MB at
98 filings' 20M characters).
"""

from __future__ import annotations

import argparse
import json
import posixpath
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kinyu.base.layout import CorpusRun  # noqa: E402
from kinyu.corpus.dedup.config import exact_dedup_text  # noqa: E402
from kinyu.corpus.dedup.paragraphs import units  # noqa: E402
from kinyu.corpus.extract.readers import read_jsonl_gz  # noqa: E402
from kinyu.corpus.tables import table_blocks  # noqa: E402

THRESHOLDS = (2, 5, 20)


class Tally:
    """Per distinct line: the filings it occurs in, its copies, and the copies in the document the
    kept-copy rule would keep (the smallest source, id)."""

    def __init__(self):
        self.filings: dict[str, set[str]] = {}
        self.copies: Counter = Counter()
        self.first: dict[str, tuple[tuple[str, str], int]] = {}

    def add(self, text: str, filing: str, key: tuple[str, str]) -> None:
        self.filings.setdefault(text, set()).add(filing)
        self.copies[text] += 1
        first = self.first.get(text)
        if first is None or key < first[0]:
            self.first[text] = (key, 1)
        elif key == first[0]:
            self.first[text] = (key, first[1] + 1)

    def summary(self, top: int) -> dict:
        lines = sum(self.copies.values())
        chars = sum(len(t) * n for t, n in self.copies.items())
        out = {"lines": lines, "distinct": len(self.copies), "chars": chars, "thresholds": {}}
        for k in THRESHOLDS:
            hit = [t for t, f in self.filings.items() if len(f) >= k]
            n = sum(self.copies[t] for t in hit)
            c = sum(len(t) * self.copies[t] for t in hit)
            removable = sum(len(t) * (self.copies[t] - self.first[t][1]) for t in hit)
            out["thresholds"][k] = {"distinct": len(hit), "lines": n, "line_share": n / lines if lines else 0.0, "chars": c,
                                    "char_share": c / chars if chars else 0.0, "removable_chars": removable,
                                    "removable_share": removable / chars if chars else 0.0}
        ranked = sorted(self.filings, key=lambda t: (-len(self.filings[t]), -self.copies[t], t))[:top]
        out["top"] = [{"filings": len(self.filings[t]), "copies": self.copies[t], "text": t} for t in ranked]
        return out


def measure(run: Path, top: int) -> dict:
    prose, rows = Tally(), Tally()
    filings, docs = set(), 0
    for rec in read_jsonl_gz(CorpusRun(run).docs):
        docs += 1
        source = str(rec.get("metadata", {}).get("source", ""))
        filing, key = posixpath.dirname(source), (source, str(rec.get("id")))
        filings.add(filing)
        text = rec["text"]
        for _, _, folded in units(text, "line", 1):
            prose.add(folded, filing, key)
        lines = text.split("\n")
        for block in table_blocks(lines):
            for j in range(block.start, block.end):
                if j != block.start + 1:  # the separator line says nothing
                    rows.add(exact_dedup_text(lines[j]), filing, key)
    return {"run": str(run), "documents": docs, "filings": len(filings), "prose_lines": prose.summary(top), "table_rows": rows.summary(top)}


def print_report(result: dict) -> None:
    print(f"{result['filings']} filings, {result['documents']} kept documents ({result['run']})")
    for name, label in (("prose_lines", "lines outside tables (paragraph dedup's units)"), ("table_rows", "table rows (header lines included)")):
        s = result[name]
        print(f"\n{label}: {s['lines']:,} lines ({s['distinct']:,} distinct), {s['chars']:,} characters")
        print(f"  {'in >= k filings':<16} {'distinct':>9} {'share of lines':>15} {'share of chars':>15} {'removable chars':>16}")
        for k, t in s["thresholds"].items():
            print(f"  {'k = ' + str(k):<16} {t['distinct']:>9,} {t['line_share']:>14.1%} {t['char_share']:>15.1%} "
                  f"{t['removable_share']:>15.1%}")
    print("\nmost widespread lines outside tables (filings, copies, text):")
    for row in result["prose_lines"]["top"]:
        print(f"  {row['filings']:>3} {row['copies']:>5}  {row['text'][:90]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--top", type=int, default=20, help="the most widespread lines shown")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not CorpusRun(args.run_dir).docs.is_dir():
        raise SystemExit(f"{args.run_dir}/docs not found: build the filings first (see the docstring)")
    result = measure(args.run_dir, args.top)
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
