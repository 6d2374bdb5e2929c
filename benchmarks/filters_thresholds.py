"""Distributions of the quality signals on the shared real data: the measurement behind every
default threshold, which stands in its filter's file corpus/filters/<slug>.py.

For each set — chABSA (230 company documents of real 有価証券報告書 sentences: must be kept),
EDINET 有価証券報告書 sections (edinet-asr-html, through the project's extraction and
normaliser), the EDINET taxonomy sample instances, Japanese Wikipedia (20 sentences a document),
the MHLW 告示 and fee schedules (PDF, the real statute text) — it runs the annotator and the line cleaner, then prints min / p1 / median / p99 / max of each
signal, and what the line cleaner removed, by reason.

    python benchmarks/filters_thresholds.py
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from datatrove.data import Document

from kinyu.corpus.filters import JapaneseLineCleaner, QualityConfig
from kinyu.corpus.filters.boilerplate import boilerplate_density
from kinyu.corpus.filters.domain import finance_score
from kinyu.corpus.filters.repetition import repetition_signals
from kinyu.corpus.filters.residue import removed_share, table_share
from testkit.realdata import chabsa_documents, edinet_sections, shared_real_dir, source_text, wikipedia_documents

KEYS = (
    "chars", "complete_sentences", "japanese_ratio", "japanese_text_ratio", "hiragana_ratio", "hiragana_text_ratio",
    "symbol_ratio", "digit_ratio", "replacement_ratio", "mojibake_ratio", "function_word_ratio", "predicate_end_share",
    "particle_start_share", "lines", "removed_share", "table_share", "max_noun_run",
    "dup_line_frac", "dup_line_char_frac", "dup_para_frac", "top_4gram_frac", "top_8gram_frac",
    "dup_10gram_char_frac", "dup_20gram_char_frac", "boilerplate_per_1000", "finance_score", "removed_lines",
)  # fmt: skip


def measure(text: str, cfg: QualityConfig) -> tuple[dict, list]:
    doc = Document(text=text, id="m", metadata={})
    blocks = JapaneseLineCleaner(cfg.line_clean).clean(doc)
    q = dict(doc.metadata["quality"])
    q.update(repetition_signals(doc.text, cfg.repetition.top_ngram_sizes, cfg.repetition.dup_ngram_sizes))
    q["finance_score"] = finance_score(doc.text)[0]
    q["boilerplate_per_1000"] = boilerplate_density(doc.text)[1]
    q["removed_share"] = removed_share(q)
    q["table_share"] = table_share(doc.text)
    return q, blocks


def main() -> None:
    real = shared_real_dir()
    if not real.is_dir():
        raise SystemExit(f"shared real data not found: {real} (set KINYU_SHARED_DATA)")
    cfg = QualityConfig()
    sets = {
        "chABSA": chabsa_documents(),
        "EDINET asr sections": edinet_sections("edinet-asr-html/*.html"),
        "EDINET sample instances": [(n, t) for n, t in edinet_sections("edinet-sample-html/*/*.htm") if len(t) > 200],
        "Wikipedia": wikipedia_documents(),
        # the real statute text: MHLW 告示 (vertical PDFs, read with vertical detection), whole
        "MHLW 告示": [(p, source_text(p)) for p in ("mhlw-pdf/0000196314.pdf", "mhlw-pdf/000602943.pdf", "mhlw-pdf/000907845.pdf")],
        "MHLW 点数表/通知": [(p, source_text(p)) for p in sorted(f"mhlw-pdf/{f.name}" for f in (real / "mhlw-pdf").glob("*.pdf"))
                             if p not in ("mhlw-pdf/0000196314.pdf", "mhlw-pdf/000602943.pdf", "mhlw-pdf/000907845.pdf")],
    }
    for name, docs in sets.items():
        results = [measure(t, cfg) for _, t in docs]
        print(f"== {name}: {len(docs)} documents")
        for key in KEYS:
            v = np.array([q[key] for q, _ in results], dtype=float)
            p1, med, p99 = np.percentile(v, [1, 50, 99])
            print(f"  {key:22s} min {v.min():9.4f}  p1 {p1:9.4f}  median {med:9.4f}  p99 {p99:9.4f}  max {v.max():9.4f}")
        reasons = Counter(b[1] for _, blocks in results for b in blocks)
        lines = Counter()
        for _, blocks in results:
            for b in blocks:
                lines[b[1]] += b[2].count("\n") + 1
        print(f"  line cleaner: blocks {dict(reasons)}, lines {dict(lines)}")


if __name__ == "__main__":
    main()
