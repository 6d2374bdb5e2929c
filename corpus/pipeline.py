"""``kinyu corpus build``: the datatrove stages from raw files to token shards, wired in order.

Stages (each a datatrove pipeline run by the chosen executor, ``kinyu.corpus.executors``; a
finished task is never redone, so a killed build resumes where it stopped):

1. ``extract``          read (files, WARC records, ZIP members) -> archive records that are not
                        documents, URL rules -> PDF/HTML/text extraction -> quarantine ->
                        normalise -> language -> quality filters (finance classifier last)
2. document passes      exact dedup -> paragraph dedup (off by default) -> decontamination ->
                        MinHash (``kinyu.corpus.dedup``,
                        ``kinyu.corpus.decontam``) -> ``docs/``
3. ``tokenizer``        train a tokenizer on the training split (unless one is given)
4. ``tokens_*``         train/validation split by id hash -> token shards (``kinyu.corpus.tokens``)
5. ``finalize``         quarantine list, merged stats, accounting, manifest (``kinyu.corpus.finalize``)

The run folder's names: ``kinyu.base.layout.CorpusRun``; setting it up: ``kinyu.corpus.run_folder``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.readers.base import BaseReader
from datatrove.pipeline.writers import JsonlWriter

from kinyu.base.config import ConfigError, to_dict
from kinyu.base.layout import RANK_FILE, TOKEN_SPLITS, CorpusRun
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.decontam import decontamination_step
from kinyu.corpus.dedup.stages import chain, dedup_passes, filter_pass, paragraph_pass
from kinyu.corpus.disk_full import disk_full_line, no_space
from kinyu.corpus.executors import CONSOLE_LOG, Stage, console_to_file, make_executor, slurm_activate_script
from kinyu.corpus.extract.cache import ExtractionCacheLookup, ExtractionCacheStore, default_cache_dir, format_fingerprints
from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor, PlainTextDecoder
from kinyu.corpus.extract.readers import RawFileReader, input_files, walk_inputs
from kinyu.corpus.extract.records import looks_like_chabsa
from kinyu.corpus.filters.config import quality_steps
from kinyu.corpus.finalize import RunFinalizer, finalize_run
from kinyu.corpus.gates import EmptyTextFilter, QuarantineGate, ValidationSplit, removed_writer
from kinyu.corpus.normalize import JapaneseNormalizer
from kinyu.corpus.progress import PROGRESS_DIR, ProgressReporter, StageProgress, written_docs
from kinyu.corpus.run_folder import locked_run
from kinyu.corpus.select.classifier import FinanceClassifier
from kinyu.corpus.select.language import LanguageFilter
from kinyu.corpus.select.records import ArchiveRecordFilter
from kinyu.corpus.select.url import UrlFilter
from kinyu.corpus.tokenize import TokenizerError, copy_model_tokenizer, resolve_tokenizer_file
from kinyu.corpus.tokens import LazyDocumentTokenizer, TokenizerTrainer


def extract_stage(cfg: CorpusConfig, run: CorpusRun) -> Stage:
    x = cfg.extract
    cache_lookup, cache_store = [], []
    if cfg.cache.enabled:
        cache_dir = str(cfg.cache.dir or default_cache_dir())
        cache_lookup = [ExtractionCacheLookup(cache_dir, format_fingerprints(to_dict(x)))]
        cache_store = [ExtractionCacheStore(cache_dir)]
    select = cfg.select
    url_rules = [UrlFilter(select.url, removed_writer(run.removed, "url_rules"))] if select.url.any() else []
    language = [LanguageFilter(select.language, removed_writer(run.removed, "language"))] if select.language.enabled else []
    classifier = [FinanceClassifier(select.classifier, removed_writer(run.removed, "classifier"))] if select.classifier.enabled else []
    steps = [
        RawFileReader(cfg.input.resolved_paths(), int(cfg.input.max_file_mb * (1 << 20)), tuple(cfg.input.exclude),
                      cfg.input.zip_limits(), str(run.archive_parts), tuple(cfg.input.text_keys), cfg.input.follow_symlinks),
        ArchiveRecordFilter(removed_writer(run.removed, "archive_records")),
        *url_rules,
        *cache_lookup,
        PdfExtractor(x),
        HtmlExtractor(x),
        PlainTextDecoder(),
        *cache_store,
        QuarantineGate(JsonlWriter(str(run.quarantine_parts), output_filename=RANK_FILE)),
        JapaneseNormalizer(cfg.normalize.nfkc, cfg.normalize.join_japanese_spaces),
        EmptyTextFilter(x.min_chars, removed_writer(run.removed, "empty")),
        *language,
        *quality_steps(cfg.quality, run.removed),
        *classifier,
        JsonlWriter(str(run.work / "filtered"), output_filename=RANK_FILE),
    ]
    return Stage("extract", steps, cfg.executor.tasks)


def document_stages(cfg: CorpusConfig, run: CorpusRun) -> list[Stage]:
    """Exact dedup, paragraph dedup, decontamination, MinHash: in this order, so that decontamination
    checks each distinct text once and MinHash never keeps a copy whose twin was a benchmark's; paragraph
    dedup counts each distinct text once, and MinHash compares what it left."""
    tasks = cfg.executor.tasks
    exact, minhash = dedup_passes(cfg.dedup, str(run.work / "dedup"), str(run.removed), tasks)
    paragraphs = paragraph_pass(cfg.dedup, str(run.work / "dedup"), str(run.removed), tasks)
    decontamination = None
    if cfg.decontamination.enabled:
        step = decontamination_step(cfg.decontamination, exclusion_writer=removed_writer(run.removed, "decontamination"))
        decontamination = filter_pass("decontamination", [step], tasks)
    passes = [p for p in (exact, paragraphs, decontamination, minhash) if p is not None]
    stages = chain(passes, str(run.work / "filtered"), str(run.docs), str(run.work), tasks)
    return [Stage(name, steps, n) for name, steps, n in stages]


def token_stages(cfg: CorpusConfig, run: CorpusRun) -> list[Stage]:
    """Train the tokenizer (unless one is given), then one shard stage per split."""
    t = cfg.tokenize
    if not t.enabled:
        return []
    stages = []
    if t.tokenizer is None:
        steps = [
            JsonlReader(str(run.docs), add_file_path=False),
            ValidationSplit("train", t.validation_fraction, cfg.seed),
            TokenizerTrainer(str(run.tokenizer_file), t.vocab_size, t.tokenizer_sample_chars),
        ]
        stages.append(Stage("tokenizer", steps, 1))
    for side in TOKEN_SPLITS:
        steps = [
            JsonlReader(str(run.docs), add_file_path=False),
            ValidationSplit(side, t.validation_fraction, cfg.seed),
            LazyDocumentTokenizer(str(run.tokens(side)), str(run.tokenizer_file), eos_token=t.eos_token, seed=cfg.seed,
                                  shuffle=t.shuffle, max_tokens_per_file=t.max_tokens_per_file),
        ]
        stages.append(Stage(f"tokens_{side}", steps, cfg.executor.tasks))
    return stages


def with_progress(stage: Stage, run: CorpusRun) -> Stage:
    """``stage`` with a :class:`ProgressReporter` right after its reader (when it reads documents):
    the extract stage's bar counts input files, the others' documents."""
    if not stage.pipeline or not isinstance(stage.pipeline[0], BaseReader):
        return stage
    reporter = ProgressReporter(str(run.stage_logs(stage.name) / PROGRESS_DIR))
    unit = "files" if isinstance(stage.pipeline[0], RawFileReader) else "docs"
    return Stage(stage.name, [stage.pipeline[0], reporter, *stage.pipeline[1:]], stage.tasks, unit)


def build_stages(cfg: CorpusConfig) -> list[Stage]:
    """Every stage of the build, in order; the last, ``finalize``, runs on Slurm as a job of its own."""
    run = CorpusRun(cfg.output)
    stages = [with_progress(s, run) for s in (extract_stage(cfg, run), *document_stages(cfg, run), *token_stages(cfg, run))]
    names = [s.name for s in stages] + ["finalize"]
    return stages + [Stage("finalize", [RunFinalizer(to_dict(cfg), names)], 1)]


class StageFailed(RuntimeError):
    """A stage of the build raised: which stage, why, and where its task logs (with the traceback) are."""


class DiskFull(StageFailed):
    """The disk filled up while the build wrote (one line: :func:`kinyu.corpus.disk_full.disk_full_line`)."""


def _run_stage(executor, stage: Stage, run: CorpusRun, quiet: bool, console, total: int | None) -> None:
    """One stage's executor run: its console output to ``logs/<stage>/console.log`` when ``quiet``,
    and its progress display on ``console`` (None: none)."""
    logs = run.stage_logs(stage.name)
    with contextlib.ExitStack() as stack:
        if console is not None:
            stack.enter_context(StageProgress(console, stage.name, logs, stage.progress, total if stage.progress != "tasks" else stage.tasks, stage.tasks))
        if quiet:
            stack.enter_context(console_to_file(logs / CONSOLE_LOG))
        try:
            executor.run()
        except Exception as e:  # noqa: BLE001 - a task's error, with its traceback in the task log
            if (full := no_space(e)) is not None:  # its task log could not be written either
                raise DiskFull(disk_full_line(full, f"the {stage.name} stage wrote", run.path)) from None
            detail = f"{type(e).__name__}: {e}".strip()
            raise StageFailed(f"stage {stage.name} failed: {detail[:500]}. The traceback is in {logs / 'logs'}/task_*.log; "
                              "after fixing, rerun the same command to resume") from e


def warn_benchmark_inputs(cfg: CorpusConfig, say=None) -> int:
    """Warn (on stderr) when inputs are chABSA files, the chabsa task's own data, and decontamination
    is off or does not name them: a model trained on them is scored on its training text. Returns
    how many such inputs there are."""
    import sys

    files = [f.source for f in input_files(cfg) if looks_like_chabsa(f.path)]
    d = cfg.decontamination
    if files and not (d.enabled and d.benchmark_paths):
        (say or (lambda line: print(line, file=sys.stderr, flush=True)))(
            f"warning: {len(files)} input file(s) are chABSA (e.g. {files[0]}), also the chabsa evaluation task's data; "
            "decontamination is off, so chabsa scores of a model trained on this corpus are not clean. Add "
            "--decontamination.enabled true --decontamination.benchmark_paths <chABSA dir> (repeat the flag for the fin-harness data dir), or "
            "--input.exclude '*_ann.json'")
    return len(files)


def input_entries(cfg: CorpusConfig) -> int:
    """The extract stage's progress total: the files read and the entries not read."""
    listing = walk_inputs(cfg.input.resolved_paths(), tuple(cfg.input.exclude), cfg.input.follow_symlinks)
    return len(listing.files) + len(listing.skipped)


def nothing_to_read(cfg: CorpusConfig) -> list[str]:
    """The problem of inputs that hold no file the build would read (every stage after the first
    would fail on an empty folder, far from the cause), or none."""
    listing = walk_inputs(cfg.input.resolved_paths(), tuple(cfg.input.exclude), cfg.input.follow_symlinks)
    if listing.files:
        return []
    counts: dict[str, int] = {}
    for s in listing.skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    why = f"; not read: {', '.join(f'{n} {r}' for r, n in sorted(counts.items()))} (e.g. {listing.skipped[0].path}: " \
          f"{listing.skipped[0].detail})" if counts else " (after input.exclude)"
    return [f"no readable input file in {', '.join(cfg.input.resolved_paths())}{why}"]


def preflight_problems(cfg: CorpusConfig) -> list[str]:
    """What would stop the build that the config's own checks cannot see (they hold for any machine the
    config is read on): input paths, the tokenizer and the Slurm venv on this one. Checked before the
    run folder is made, all at once, so that a wrong path fails before hours of extraction."""
    found = [f"input not found: {p}" for p in cfg.input.resolved_paths() if not Path(p).exists()]
    if not found:
        found += nothing_to_read(cfg)
    if cfg.tokenize.tokenizer is not None:
        try:
            resolve_tokenizer_file(cfg.tokenize.tokenizer)
        except TokenizerError as e:
            found.append(f"tokenize.tokenizer: {e}")
    if cfg.executor.kind == "slurm":
        try:
            slurm_activate_script(cfg.executor.slurm_venv)
        except ConfigError as e:
            found.append(str(e))
    return found


def build(cfg: CorpusConfig, overwrite: bool = False, quiet: bool = True, console=None) -> Path:
    """Run every stage of the build; returns the run folder.

    ``quiet``: datatrove's console logging goes to ``logs/<stage>/console.log`` (and its task logs,
    as always, to ``logs/<stage>/logs/``); ``console``: a rich console to show one progress bar
    per stage on (documents, docs/s, ETA), or None for none.
    """
    found = preflight_problems(cfg)
    if found:
        lines = [f"cannot start the build: {found[0]}"] if len(found) == 1 else ["cannot start the build:", *(f"  - {f}" for f in found)]
        raise ConfigError("\n".join(lines))
    warn_benchmark_inputs(cfg)
    try:
        with locked_run(cfg, overwrite) as run:
            _run_stages(cfg, run, quiet, console)
    except OSError as e:  # outside a stage: config.yaml, the lock, the finalize step's files
        if (full := no_space(e)) is None:
            raise
        raise DiskFull(disk_full_line(full, "the build wrote", cfg.output)) from None
    return run.path


def _run_stages(cfg: CorpusConfig, run: CorpusRun, quiet: bool, console) -> None:
    """Every stage in order (on Slurm: submitted), then the finalize step here."""
    if cfg.tokenize.enabled and cfg.tokenize.tokenizer is not None and not run.tokenizer_file.is_file():
        copy_model_tokenizer(cfg.tokenize.tokenizer, run.tokenizer_dir)
    stages = build_stages(cfg)
    timings: dict[str, float] = {}
    previous = None
    if cfg.executor.kind == "slurm":
        console = None  # the command returns once the jobs are submitted: nothing to follow here
    # what each bar counts towards: the input files, then the documents the last writing stage wrote
    # (the entries not read count too: each is one quarantined document with a source of its own)
    total = input_entries(cfg) if console is not None else None
    for stage in stages:
        if stage.name == "finalize" and cfg.executor.kind != "slurm":
            continue  # run below in this process, with the timings
        executor = make_executor(cfg, stage, run, depends=previous if cfg.executor.kind != "local" else None, quiet=quiet)
        t0 = time.perf_counter()
        _run_stage(executor, stage, run, quiet, console, total)
        timings[stage.name] = round(time.perf_counter() - t0, 3)
        previous = executor
        written = written_docs(run.stage_logs(stage.name)) if console is not None else None
        total = written if written is not None else total
    if cfg.executor.kind != "slurm":
        finalize_run(cfg, [s.name for s in stages], timings)
