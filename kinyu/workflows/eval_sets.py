"""The fixed evaluation sets every variant of an ablation or study is scored on, chosen before any
variant is built.

- **held out by filer**: every input file is mapped to its *filer group* before any filter
  (:func:`filer_groups`): an EDINET filing's sections share its 書類管理番号, and filings with
  the same EDINET code (read from the filing's cover or its XBRL names) share a group, so no
  filer's other sections or other years train while one of them is scored. The hash pick
  (``rank(group) < heldout_fraction``) is by group; ``heldout_inputs`` are held out whole, and a
  training file of the same group as one of them is dropped from training (recorded).
- **leaks by containment**: a held-out document whose 50-grams (or 13-grams) are found among the
  training documents' above ``max_containment_50`` (``max_containment_13``) is dropped, with its
  figure recorded: Jaccard cannot see a short held-out text inside a longer training document. The
  training side is every training document as extracted, plus the study's general corpus (the base's
  and the replay's text), for the financial and for the general held-out documents.
- **finance** (as extracted: favours the unfiltered variant): the held-out documents as kinyu's
  extraction and normalisation give them (no quality filter, no dedup); **finance_tables** and
  **finance_prose**: the same text split into its Markdown table lines and the rest;
  **finance_kept** (kept by the default filters: favours the filtered variant): what the
  configured quality filters keep of them; **finance_neutral** (neutral): prose paragraphs of the
  held-out text picked by a fixed character-class rule in code (``kinyu.workflows.heldout.
  neutral_paragraphs``) that depends on no variant's config.
- **general**: general Japanese held out from any training (``general_texts``: e.g.
  ``../shared/data/general-ja/heldout``), a fixed sample by document hash of the documents that
  pass the containment check (news articles share templates and syndicated copies across splits).

Each set is a folder with ``texts.jsonl`` (``{"id", "source", "text"}``), readable by
``kinyu eval --bpc-texts``; ``manifest.json`` says what went in and what was dropped, with hashes;
``leaks.json`` the containment figures of every held-out document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from kinyu.base.errors import UserError
from kinyu.base.config import option

# the sets scored, in report order, with the label a reader needs: which variant a set favours
SET_LABELS = {
    "finance": "as extracted (favours unfiltered)",
    "finance_kept": "kept by the default filters (favours filtered)",
    "finance_neutral": "neutral (prose by a fixed rule; no variant chose it)",
    "finance_prose": "prose of the as-extracted text",
    "finance_tables": "tables of the as-extracted text",
    "general": "general Japanese",
}


@dataclass
class EvalSetsConfig:
    heldout_fraction: float | None = option(None, "share of the training inputs' filer groups held out by hash of the group "
                                                  "(0 = none); empty = 0.2 without heldout_inputs, 0 with them")
    heldout_inputs: list[str] = option([], "files/folders scored and never trained on (e.g. filings-u4 valid+test reports); "
                                           "training files of the same filer are dropped from training")
    max_containment_50: float = option(0.2, "drop a held-out document with more than this share of its character 50-grams "
                                            "found in the training documents (a copy, or a later year's version)")
    max_containment_13: float | None = option(None, "likewise for 13-grams (empty = recorded, not used: 13-grams include "
                                                    "the stock phrases every filing shares)")
    finance_max_chars: int | None = option(None, "score at most this many characters of held-out financial text (whole documents, by id hash); empty = all")
    general_texts: str | None = option(None, "folder of general Japanese held-out text (*.jsonl/*.txt), e.g. ../shared/data/general-ja/heldout; "
                                             "empty = the embedded general sample")
    general_max_docs: int = option(200, "general documents scored (picked by id hash)")
    filings_u4: str = option("../shared/data/filings-u4", "with no financial inputs given: where filings-u4 is looked for; its "
                                                          "train split trains, its valid and test splits are held out")
    filings_u4_train_reports: int | None = option(None, "with the filings-u4 default: at most this many train reports (by hash "
                                                        "of the 書類管理番号); empty = all")
    filings_u4_heldout_reports: int | None = option(None, "with the filings-u4 default: at most this many valid+test reports "
                                                          "held out (by hash); empty = all")
    seed: int = option(0, "seeds the held-out pick (the same files on every machine)")

    def fraction(self) -> float:
        """The hash pick's share: ``heldout_fraction``, or its default (none beside explicit held-out inputs)."""
        if self.heldout_fraction is not None:
            return self.heldout_fraction
        return 0.0 if self.heldout_inputs else 0.2

    def problems(self) -> list[str]:
        found = []
        if not 0.0 <= self.fraction() < 1.0:
            found.append(f"heldout_fraction must be in [0, 1), got {self.heldout_fraction}")
        if self.fraction() == 0.0 and not self.heldout_inputs:
            found.append("heldout_fraction 0 holds nothing out: give eval_sets.heldout_inputs or a fraction > 0")
        for name in ("max_containment_50", "max_containment_13"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                found.append(f"{name} must be in [0, 1], got {value}")
        if self.general_max_docs < 1:
            found.append("general_max_docs must be >= 1")
        for name in ("filings_u4_train_reports", "filings_u4_heldout_reports"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                found.append(f"{name} must be >= 1 (or empty: all)")
        return found


@dataclass(frozen=True)
class EvalSets:
    """Where the fixed sets are, and the input files left for training."""

    def bpc_texts(self) -> list[str]:
        """``NAME=FOLDER`` for ``EvalConfig.bpc_texts``: every set that holds text, in ``SET_LABELS`` order."""
        return [f"{n}={self.root / n}" for n in SET_LABELS if self.manifest.get(n, {}).get("documents")]

    root: Path  # the eval_sets folder: one subfolder with texts.jsonl per set
    exclude: list[str]  # input.exclude globs that leave the held-out files out of every variant's build
    manifest: dict

    @property
    def finance(self) -> Path:
        return self.root / "finance"

    @property
    def finance_kept(self) -> Path:
        return self.root / "finance_kept"

    @property
    def general(self) -> Path:
        return self.root / "general"


def file_of(doc_id: str) -> str:
    """The input file of a document id ("<input root>/<relative path>", "#<line>" for jsonl records)."""
    return doc_id.split("#", 1)[0]


def rank(key: str, seed: int) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# --------------------------------------------------------------------------------------------
# filer groups

# an EDINET section file named by its filing's 書類管理番号 (U4, ufo-2024: S100TLCL-0102010.html)
_RE_DOCID_FILE = re.compile(r"^(S[0-9A-Z]{7})-\d{7}\.x?html?$", re.IGNORECASE)
_RE_DOCID = re.compile(r"^S[0-9A-Z]{7}$")
# an EDINET XBRL file name (taxonomy sample instances: 0101010_honbun_jpcrp030000-asr-001_X99001-000_..._ixbrl.htm)
_RE_XBRL_FILE = re.compile(r"^\d{7}_(?:header|honbun)_|^jp[a-z]{3}-[a-z]{3}-[a-z]{2}-\d{3}_|_ixbrl\.x?html?$", re.IGNORECASE)
# a filer's EDINET code as XBRL writes it (E03814-000 in a cover's entity identifier, its schema file name and
# its extension taxonomy's namespace; X/Y99xxx in the FSA's sample instances)
_RE_FILER = re.compile(rb"(?<![0-9A-Za-z])([EXY]\d{5})-\d{3}(?![0-9])")
_HTML = (".html", ".htm", ".xhtml")


def filer_codes(name: str, path: str | Path | None) -> set[str]:
    """The EDINET codes in a file's name and, for HTML, in its content: the cover's entity identifier, the
    namespace of the filer's extension taxonomy. Every code found counts (a cover naming a second code merges
    the two filers into one group: more held out together, never a leak)."""
    codes = {m.decode() for m in _RE_FILER.findall(name.encode("utf-8"))}
    if path is not None and name.lower().endswith(_HTML):
        codes |= {m.decode() for m in _RE_FILER.findall(Path(path).read_bytes())}
    return codes


def filing_of(doc_id: str) -> str | None:
    """The filing a file is a section of: its 書類管理番号 (from its name or its folder), or for EDINET XBRL
    files named by section (the sample instances) the folder that holds the filing; None if not a filing."""
    parts = file_of(doc_id).split("/")
    name = parts[-1]
    m = _RE_DOCID_FILE.match(name)
    if m:
        return m.group(1).upper()
    if len(parts) > 1 and _RE_DOCID.match(parts[-2]):
        return parts[-2]
    if _RE_XBRL_FILE.search(name) and len(parts) > 1:
        return "/".join(parts[:-1])
    return None


def filer_groups(files) -> dict[str, str]:
    """Every input file's filer group (``doc_id -> group``), read from names and content before any filter:
    files of one filing (its 書類管理番号, or the folder of a section-named XBRL filing) and files with the same
    EDINET code are one group (connected through either). The group is named ``edinet:<code>`` (the smallest
    code), else ``filing:<id>``; a file with neither is its own group ``file:<id>``, not its folder's: the
    shared folders (pdf/, mhlw-pdf/, legacy-encoding-html/) hold unrelated publishers' documents, and a
    folder group would hold a whole collection out or in."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for f in files:
        node = f"file:{f.doc_id}"
        find(node)
        filing = filing_of(f.doc_id)
        keys = ([f"filing:{filing}"] if filing else []) + [f"edinet:{c}" for c in filer_codes(f.doc_id.split("/")[-1], f.path if filing else None)]
        for key in keys:
            union(node, key)
    members: dict[str, list[str]] = {}
    for node in parent:
        members.setdefault(find(node), []).append(node)
    out = {}
    for nodes in members.values():
        keys = sorted(n for n in nodes if not n.startswith("file:"))
        codes = [k for k in keys if k.startswith("edinet:")]
        files_in = sorted(n[len("file:"):] for n in nodes if n.startswith("file:"))
        name = codes[0] if codes else keys[0] if keys else f"file:{files_in[0]}"
        for doc_id in files_in:
            out[doc_id] = name
    return out


def group_members(groups: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for doc_id, group in sorted(groups.items()):
        out.setdefault(group, []).append(doc_id)
    return out


def heldout_groups(names, fraction: float, seed: int) -> set[str]:
    """The groups (of ``names``) the hash pick holds out: ``rank(group) < fraction``, by group, never by file."""
    return {g for g in set(names) if rank(g, seed) < fraction}


@dataclass(frozen=True)
class HeldoutChoice:
    """Which input files are held out and which train, by filer group."""

    groups: dict[str, str]  # every input file's group (training and held-out inputs)
    heldout_ids: set[str]  # held out: every file of a group picked by hash, and every held-out input
    by_hash: set[str]  # the groups the hash pick held out
    given_groups: set[str]  # the groups of the held-out inputs
    dropped_same_filer: list[str]  # training files of a held-out input's group: in neither set
    training_ids: set[str]


def choose_heldout(cfg: EvalSetsConfig, train_files, given_files) -> HeldoutChoice:
    """Hold out whole filer groups: those of ``given_files`` (``heldout_inputs``), and among the others the
    groups with ``rank(group) < fraction``. A training file in a held-out input's group is dropped from
    training (not refused: a folder of filings and a benchmark's held-out split may share a filer, and
    dropping the training copy is what keeps the split clean; the manifest lists what was dropped)."""
    clash = sorted({f.doc_id for f in train_files} & {f.doc_id for f in given_files})
    if clash:
        raise UserError(f"eval_sets.heldout_inputs and the training inputs share file ids {clash[:3]} (an input folder of the "
                         "same name on both sides?): give the held-out folders under other names")
    groups = filer_groups(list(train_files) + list(given_files))
    given_groups = {groups[f.doc_id] for f in given_files}
    by_hash = heldout_groups({groups[f.doc_id] for f in train_files} - given_groups, cfg.fraction(), cfg.seed)
    heldout_ids = {f.doc_id for f in given_files} | {f.doc_id for f in train_files if groups[f.doc_id] in by_hash}
    dropped = sorted(f.doc_id for f in train_files if groups[f.doc_id] in given_groups)
    training_ids = {f.doc_id for f in train_files} - heldout_ids - set(dropped)
    if not heldout_ids or not training_ids:
        raise UserError(f"the held-out pick (heldout_fraction {cfg.fraction()} of {len(set(groups.values()))} filer groups, "
                         f"{len(given_files)} held-out input files) leaves no held-out or no training file; change "
                         "eval_sets.heldout_fraction or eval_sets.heldout_inputs")
    return HeldoutChoice(groups, heldout_ids, by_hash, given_groups, dropped, training_ids)


# --------------------------------------------------------------------------------------------
# the filings-u4 default


def u4_default_inputs(cfg: EvalSetsConfig, data: Path) -> tuple[list[str], list[str]] | None:
    """With no financial inputs given: filings-u4's train reports (training) and valid + test reports
    (held out; U4's splits are by company), unpacked once under ``data/filings-u4``, one input folder per
    report (its 書類管理番号), capped by ``filings_u4_*_reports`` (by hash of the 書類管理番号, so a cap
    picks the same reports on every machine). None when filings-u4 is not there."""
    from kinyu.base import u4

    shared = Path(cfg.filings_u4)
    if not u4.is_u4_folder(shared):
        return None
    root = Path(data) / "filings-u4"

    def reports(splits, cap):
        folders = sorted(p for s in splits for p in u4.unpack(shared, root, s).iterdir() if p.is_dir())
        if cap is not None:
            folders = sorted(sorted(folders, key=lambda p: rank(p.name, cfg.seed))[:cap])
        return [str(p) for p in folders]

    return reports(["train"], cfg.filings_u4_train_reports), reports(u4.EVAL_SPLITS, cfg.filings_u4_heldout_reports)


# --------------------------------------------------------------------------------------------
# what the report says about the sets


def heldout_summary(manifest: dict) -> dict:
    """The figures of the held-out choice for results.json: groups, leaks, set sizes and labels."""
    g, leaks = manifest["groups"], manifest["leaks"]
    return {
        "groups": {k: g[k] for k in ("total", "heldout", "heldout_by_hash", "heldout_given", "training_files_dropped_same_filer")},
        "leaks": {k: leaks[k] for k in ("ngrams", "max_containment_50", "max_containment_13", "documents", "dropped", "totals")},
        # sets made before the general text was checked have no "general" entry
        "general_leaks": {k: leaks["general"][k] for k in ("documents", "dropped", "totals")} if "general" in leaks else None,
        "general_training": leaks.get("general_training"),
        "sets": {name: {"label": label, "documents": manifest[name]["documents"], "characters": manifest[name]["characters"]}
                 for name, label in SET_LABELS.items() if name in manifest},
    }


def heldout_report_lines(s: dict) -> list[str]:
    """Markdown lines for report.md / ablation.md from :func:`heldout_summary`: how the held-out set was chosen,
    what leaked, and each set with its label."""
    g, leaks, t = s["groups"], s["leaks"], s["leaks"]["totals"]
    lines = [
        f"- held out by filer, before any filter: {g['heldout']} of {g['total']} filer groups (EDINET code, else 書類管理番号, "
        f"else the file; {g['heldout_by_hash']} by hash, {g['heldout_given']} given as held-out inputs); "
        f"{len(g['training_files_dropped_same_filer'])} training files of a held-out filer dropped from training "
        "(`eval_sets/manifest.json` lists every group and its files)",
        f"- leaks, by containment: of the {leaks['documents']} held-out documents' distinct character n-grams, "
        f"{t['contained_13']:.1%} of the 13-grams and {t['contained_50']:.1%} of the 50-grams are found in the training "
        "documents as extracted (the union of every variant's training text: the filters only remove text); "
        f"{len(leaks['dropped'])} documents above {leaks['max_containment_50']:.0%} of 50-grams"
        + (f" or {leaks['max_containment_13']:.0%} of 13-grams" if leaks["max_containment_13"] is not None else "")
        + " dropped (`eval_sets/leaks.json`: every document's figures)",
        *([_general_leak_line(s)] if s.get("general_leaks") else []),
        "- sets: " + "; ".join(f"{name} = {v['label']}, {v['documents']} docs, {v['characters']:,} chars"
                               for name, v in s["sets"].items()),
    ]
    return lines


def _general_leak_line(s: dict) -> str:
    gl, t = s["general_leaks"], s["general_leaks"]["totals"]
    against = ("the training documents and the base's general corpus (`" + s["general_training"] + "`)"
               if s.get("general_training") else "the training documents")
    return (f"- general text, the same check against {against}: {len(gl['dropped'])} of the {gl['documents']} general "
            f"documents examined (in hash order, until the set was full) dropped; of those examined, {t['contained_13']:.1%} "
            f"of the 13-grams and {t['contained_50']:.1%} of the 50-grams are in training")
