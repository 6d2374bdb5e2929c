"""Accuracy of kinyu's quality filters on the labelled real evaluation set, beside HojiChar's.

The set (tests/data/filters_eval/segments.jsonl, labelling rules in GUIDE.md) names segments of
the shared real documents — whole documents and document-sized chunks judged by the default
chain (line cleaning + document filters), and single lines judged by the line cleaner in their
own document — each labelled keep/drop by reading, with a category. Printed per unit (doc,
line) and category: n, accuracy, precision/recall of keep and of drop, for kinyu and for
HojiChar's Japanese document filters (testkit.filters_eval.HOJICHAR_CHAIN; optional — without
hojichar installed only kinyu is printed), then every error with its reason.

    python benchmarks/filters_accuracy.py [--errors kinyu|hojichar|both|none] [--set main|heldout|tables] [--tables markdown]

``--set heldout``: tests/data/filters_eval/heldout.jsonl, labelled the same way after the filters
had been tuned on the main set, to see how much of the main set's figure is tuning.
``--set tables``: tests/data/filters_eval/tables.jsonl, table blocks of filings (EDINET 有報
sections, the EDINET sample instances, fee-schedule PDFs, filings-u4 valid), kept and removed
kinds, judged as the line cleaner judges a table in its whole document (HojiChar: the table as a
text of its own).
"""

from __future__ import annotations

import argparse
import time

from testkit.filters_eval import (
    HELDOUT,
    HOJICHAR_CHAIN,
    SEGMENTS,
    TABLES,
    Score,
    hojichar_decisions,
    kinyu_decisions,
    score,
    segments,
    whole_document_losses,
)
from testkit.shared import require_shared


def _pct(x: float | None) -> str:
    return "   -" if x is None else f"{100 * x:4.0f}"


def _cells(s: Score | None) -> str:
    if s is None:
        return f"{'':>5} {'':>4} {'':>4} {'':>4} {'':>4}"
    return f"{100 * s.accuracy:5.1f} {_pct(s.precision('keep'))} {_pct(s.recall('keep'))} {_pct(s.precision('drop'))} {_pct(s.recall('drop'))}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--errors", choices=("kinyu", "hojichar", "both", "none"), default="kinyu")
    parser.add_argument("--set", choices=("main", "heldout", "tables"), default="main",
                        help="main: the tuned set; heldout: labelled after tuning; tables: table blocks of filings (always cut "
                             "from the text with tables as tables)")
    parser.add_argument("--tables", choices=("trafilatura", "markdown"), default="trafilatura",
                        help="the text the segments are cut from: trafilatura's raw table rows (as labelled), or tables as "
                             "tables (the default build's; segments anchored on a raw row are left out)")
    args = parser.parse_args(argv)
    require_shared("real")
    t0 = time.perf_counter()
    segs = segments({"main": SEGMENTS, "heldout": HELDOUT, "tables": TABLES}[args.set], tables=args.tables)
    t1 = time.perf_counter()
    ours = kinyu_decisions(segs)
    t2 = time.perf_counter()
    theirs = hojichar_decisions(segs)
    t3 = time.perf_counter()
    print(f"{len(segs)} segments ({sum(s.unit == 'doc' for s in segs)} documents, {sum(s.unit == 'line' for s in segs)} lines, "
          f"{sum(s.unit == 'table' for s in segs)} tables); "
          f"materialised in {t1 - t0:.1f}s, kinyu {t2 - t1:.1f}s, hojichar {t3 - t2:.1f}s")
    if theirs is None:
        print("hojichar is not installed (pip install hojichar, the 'bench' extra): kinyu only")
    else:
        print("HojiChar chain:", " > ".join(HOJICHAR_CHAIN), "(lines: the same without the length filter)")
    ks, hs = score(segs, ours), score(segs, theirs) if theirs else {}
    labels = {(s.unit, s.category): s.label for s in segs}
    print()
    head = "acc  P+k  R+k  P+d  R+d"
    print(f"{'unit':5} {'category':18} {'n':>4} {'label':>5} | kinyu {head} | hojichar {head}")
    for unit in [u for u in ("doc", "line", "table") if any(s.unit == u for s in segs)]:
        cats = sorted({c for u, c in ks if u == unit and c != "ALL"}, key=lambda c: (labels[(unit, c)], c))
        for cat in cats + ["ALL"]:
            k = ks[(unit, cat)]
            label = labels.get((unit, cat), "")
            print(f"{unit:5} {cat:18} {k.n:4d} {label:>5} |       {_cells(k)} |          {_cells(hs.get((unit, cat)))}")
        print()
    k = ks[("all", "ALL")]
    print(f"{'all':5} {'ALL':18} {k.n:4d} {'':>5} |       {_cells(k)} |          {_cells(hs.get(('all', 'ALL')))}")
    print("(acc: % correct; P/R: precision/recall of keep (+k) and of drop (+d), in %)")
    print()
    for name, decisions in (("kinyu", ours), ("hojichar", theirs)):
        if decisions is None:
            continue
        lost = whole_document_losses(segs, decisions)
        print(f"{name}: good-text document categories dropped whole: {len(lost)} {dict((c, dict(r)) for c, r in lost.items())}")
        if name == "kinyu" and theirs is not None:
            categories = [(u, c) for (u, c) in ks if c != "ALL"]
            worse = [f"{u}/{c}" for (u, c) in categories if ks[(u, c)].correct < hs[(u, c)].correct]
            print(f"kinyu below hojichar in: {worse or 'no category'} (of {len(categories)} categories)")
    for name, decisions in (("kinyu", ours), ("hojichar", theirs)):
        if decisions is None or args.errors not in (name, "both"):
            continue
        print(f"\n== {name} errors")
        for s in segs:
            kept = decisions[s.id] is None
            if kept != (s.label == "keep"):
                what = "kept" if kept else f"dropped ({decisions[s.id]})"
                text = s.text.replace("\n", "⏎")
                print(f"  {s.id} {s.unit}/{s.category} labelled {s.label}, {what}: {s.source} {text[:90]!r}")


if __name__ == "__main__":
    main()
