"""``kinyu corpus build``: the datatrove stages from raw files to token shards, and the run folder.

Stages (each a datatrove pipeline run by the chosen executor; a finished task is never redone,
so a killed build resumes where it stopped):

1. ``extract``      read -> PDF/HTML/text extraction -> quarantine -> normalise -> quality filters
2. dedup stages     exact dedup -> decontamination (``kinyu.corpus.decontam``) -> MinHash (``kinyu.corpus.dedup``) -> ``docs/``
3. ``tokenizer``    train a tokenizer on the training split (unless one is given)
4. ``tokens_*``     train/validation split by id hash -> datatrove ``DocumentTokenizer`` shards
5. ``finalize``     quarantine list, merged stats, accounting, manifest
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from datatrove.executor import LocalPipelineExecutor, RayPipelineExecutor, SlurmPipelineExecutor
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.tokens import DocumentTokenizer
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.stats import PipelineStats

from kinyu.corpus.extract.cache import ExtractionCacheLookup, ExtractionCacheStore, default_cache_dir, format_fingerprints
from kinyu.corpus.config import CorpusConfig
from kinyu.corpus.decontam import decontamination_step
from kinyu.corpus.dedup import dedup_stages
from kinyu.corpus.extract.extractors import HtmlExtractor, PdfExtractor, PlainTextDecoder
from kinyu.corpus.filters.config import quality_steps
from kinyu.corpus.gates import EmptyTextFilter, QuarantineGate, ValidationSplit, removed_writer
from kinyu.corpus.normalize import JapaneseNormalizer
from kinyu.corpus.extract.readers import RawFileReader, list_input_files, read_jsonl_gz
from kinyu.corpus.reporting.run_reader import counter_total, drop_counts, signal_histograms
from kinyu.corpus.sample import sample_dir
from kinyu.corpus.shards import list_shards
from kinyu.corpus.tokenize import copy_model_tokenizer, resolve_tokenizer_file, tokenizer_eos, tokenizer_sample, train_tokenizer
from kinyu.base.config import ConfigError, dump_yaml, from_dict, to_dict
from kinyu.base.runs import atomic_write_json, atomic_write_text, sha256_file, write_manifest

JSONL_GZ = "${rank}.jsonl.gz"


class RunFolderError(ValueError):
    pass


@dataclass
class Stage:
    name: str
    pipeline: list
    tasks: int


def sample_inputs() -> list[str]:
    return [str(sample_dir())]


def input_paths(cfg: CorpusConfig) -> list[str]:
    return list(cfg.input.paths) or sample_inputs()


class TokenizerTrainer(PipelineStep):
    """Train a byte-level BPE tokenizer on the documents it reads (the training split), or on a
    bounded sample of them (``kinyu.corpus.tokenize.tokenizer_sample``) when they exceed ``sample_chars``.

    A pipeline step, so that Slurm and Ray runs train it on a worker like every other stage.
    """

    name = "🔠 Tokenizer trainer"
    type = "🔢 - TOKENIZER"

    def __init__(self, out_file: str, vocab_size: int, sample_chars: int = 50_000_000):
        super().__init__()
        self.out_file = out_file
        self.vocab_size = vocab_size
        self.sample_chars = sample_chars

    def run(self, data, rank: int = 0, world_size: int = 1):
        def docs():
            for doc in data:
                self.stat_update("documents")
                yield doc.id, doc.text

        with self.track_time():
            texts = tokenizer_sample(docs(), self.sample_chars)
            self.stat_update("sampled_documents", value=len(texts))
            tmp = Path(self.out_file).parent.with_name(".tokenizer.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            train_tokenizer(texts, tmp / "tokenizer.json", vocab_size=self.vocab_size)
            final = Path(self.out_file).parent
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
        return
        yield  # a generator that yields nothing: this step ends its pipeline


class RunFinalizer(PipelineStep):
    """Write the quarantine list, merged stats, accounting and manifest (the build's last task)."""

    name = "🏁 Finalize run"

    def __init__(self, cfg_dict: dict):
        super().__init__()
        self.cfg_dict = cfg_dict

    def run(self, data, rank: int = 0, world_size: int = 1):
        finalize_run(from_dict(CorpusConfig, self.cfg_dict))
        return
        yield


def extract_stage(cfg: CorpusConfig, run: Path) -> Stage:
    x = cfg.extract
    cache_lookup, cache_store = [], []
    if cfg.cache.enabled:
        cache_dir = str(cfg.cache.dir or default_cache_dir())
        cache_lookup = [ExtractionCacheLookup(cache_dir, format_fingerprints(to_dict(x)))]
        cache_store = [ExtractionCacheStore(cache_dir)]
    steps = [
        RawFileReader(input_paths(cfg), int(cfg.input.max_file_mb * (1 << 20)), tuple(cfg.input.exclude)),
        *cache_lookup,
        PdfExtractor(x),
        HtmlExtractor(x),
        PlainTextDecoder(),
        *cache_store,
        QuarantineGate(JsonlWriter(str(run / "work" / "quarantine"), output_filename=JSONL_GZ)),
        JapaneseNormalizer(cfg.normalize.nfkc, cfg.normalize.join_japanese_spaces),
        EmptyTextFilter(x.min_chars, removed_writer(run / "removed", "empty")),
        *quality_steps(cfg.quality, run / "removed"),
        JsonlWriter(str(run / "work" / "filtered"), output_filename=JSONL_GZ),
    ]
    return Stage("extract", steps, cfg.executor.tasks)


def build_stages(cfg: CorpusConfig) -> list[Stage]:
    run = Path(cfg.output)
    stages = [extract_stage(cfg, run)]
    between = None
    if cfg.decontamination.enabled:
        # after exact dedup, so that each distinct text is checked once
        decontamination = decontamination_step(cfg.decontamination, exclusion_writer=removed_writer(run / "removed", "decontamination"))
        between = ("decontamination", [decontamination])
    for name, steps, tasks in dedup_stages(
        cfg.dedup,
        input_folder=str(run / "work" / "filtered"),
        output_folder=str(run / "docs"),
        work_folder=str(run / "work" / "dedup"),
        removed_folder=str(run / "removed"),
        tasks=cfg.executor.tasks,
        between=between,
    ):
        stages.append(Stage(name, steps, tasks))
    t = cfg.tokenize
    if t.enabled:
        tok_file = run / "tokenizer" / "tokenizer.json"
        if t.tokenizer is None:
            stages.append(
                Stage(
                    "tokenizer",
                    [
                        JsonlReader(str(run / "docs"), add_file_path=False),
                        ValidationSplit("train", t.validation_fraction, cfg.seed),
                        TokenizerTrainer(str(tok_file), t.vocab_size, t.tokenizer_sample_chars),
                    ],
                    1,
                )
            )
        for side in ("train", "validation"):
            stages.append(
                Stage(
                    f"tokens_{side}",
                    [
                        JsonlReader(str(run / "docs"), add_file_path=False),
                        ValidationSplit(side, t.validation_fraction, cfg.seed),
                        _LazyDocumentTokenizer(
                            str(run / "tokens" / side),
                            str(tok_file),
                            eos_token=t.eos_token,
                            seed=cfg.seed,
                            shuffle=t.shuffle,
                            max_tokens_per_file=t.max_tokens_per_file,
                        ),
                    ],
                    cfg.executor.tasks,
                )
            )
    stages.append(Stage("finalize", [RunFinalizer(to_dict(cfg))], 1))
    return stages


TOKENIZE_BATCH_DOCS = 256


class _LazyDocumentTokenizer(DocumentTokenizer):
    """datatrove's DocumentTokenizer whose EOS token is resolved when it runs: the tokenizer file
    may be trained by an earlier stage of the same build."""

    def __init__(self, output_folder, tokenizer_file, eos_token, seed, shuffle, max_tokens_per_file):
        super().__init__(
            output_folder,
            tokenizer_file,
            eos_token=eos_token,
            seed=seed,
            shuffle_documents=shuffle,
            max_tokens_per_file=max_tokens_per_file,
            # datatrove's default, 10,000 documents per encode_batch, held every text and encoding
            # of a task at once: peak memory grew with the corpus (benchmarks/scale.py)
            batch_size=TOKENIZE_BATCH_DOCS,
        )

    def run(self, data, rank: int = 0, world_size: int = 1):
        if self.eos_token is None:
            self.eos_token, _ = tokenizer_eos(self.tokenizer_name_or_path)
        return super().run(data, rank, world_size)


def make_executor(cfg: CorpusConfig, stage: Stage, run: Path, depends=None):
    logging_dir = str(run / "logs" / stage.name)
    e = cfg.executor
    workers = min(e.workers, stage.tasks)
    if e.kind == "local":
        return LocalPipelineExecutor(
            stage.pipeline,
            tasks=stage.tasks,
            workers=workers,
            logging_dir=logging_dir,
            depends=depends,
        )
    if e.kind == "ray":
        if e.ray_address is not None:
            connect_ray(e.ray_address)
        # unset: datatrove's first Ray call starts a local Ray in this process (or uses one already started)
        return RayPipelineExecutor(
            stage.pipeline,
            tasks=stage.tasks,
            workers=workers,
            logging_dir=logging_dir,
            depends=depends,
            cpus_per_task=e.ray_cpus_per_task,
        )
    return SlurmPipelineExecutor(
        stage.pipeline,
        tasks=stage.tasks,
        workers=workers,
        time=e.slurm_time,
        partition=e.slurm_partition,
        cpus_per_task=e.slurm_cpus_per_task,
        mem_per_cpu_gb=e.slurm_mem_per_cpu_gb,
        job_name=f"{e.slurm_job_name}-{stage.name}",
        qos="",  # datatrove would ask for a QOS named "normal", which many clusters lack; set one in slurm_sbatch_args
        sbatch_args=dict(e.slurm_sbatch_args),
        venv_path=slurm_activate_script(e.slurm_venv),
        logging_dir=logging_dir,
        depends=depends,
    )


def slurm_activate_script(venv: str | None) -> str | None:
    """The ``bin/activate`` each Slurm job sources: of ``venv``, or else of the venv running kinyu
    (None outside a venv: the jobs then rely on the PATH that sbatch exports)."""
    if venv is None:
        if sys.prefix == sys.base_prefix:
            return None
        venv = sys.prefix
    path = Path(venv).expanduser().resolve()
    script = path / "bin" / "activate" if path.is_dir() else path
    if not script.is_file():
        raise ConfigError(f"executor.slurm_venv: {venv} is neither a venv folder nor its bin/activate script")
    return str(script)


def connect_ray(address: str) -> None:
    """Attach this process to the Ray cluster at ``address`` before datatrove submits to it
    (a Ray this process has already joined is kept)."""
    import ray  # optional extra: kinyu[ray]

    if not ray.is_initialized():
        ray.init(address=address)


def prepare_run(cfg: CorpusConfig, overwrite: bool = False) -> Path:
    """Create the run folder, or check that an existing one was started with the same config."""
    run = Path(cfg.output)
    config_text = dump_yaml(cfg)
    saved = run / "config.yaml"
    if run.exists() and overwrite:
        shutil.rmtree(run)
    if saved.is_file():
        before = yaml.safe_load(saved.read_text(encoding="utf-8"))
        now = yaml.safe_load(config_text)
        # the output depends on the executor's task count only: resuming with more or fewer
        # workers, or on another executor (a local run finished on Slurm), is fine; any other
        # change would mix two configs in one folder
        before["executor"] = {"tasks": before["executor"].get("tasks")}
        now["executor"] = {"tasks": now["executor"].get("tasks")}
        if before != now:
            changed = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
            raise RunFolderError(
                f"{run} was built with a different config (sections {changed} differ; see {saved}); resuming "
                "would mix outputs. Use another --output, or --overwrite to start this folder again."
            )
    elif run.exists() and any(run.iterdir()):
        raise RunFolderError(f"{run} exists and is not a kinyu corpus run; choose another --output")
    run.mkdir(parents=True, exist_ok=True)
    atomic_write_text(saved, config_text)
    return run


def build(cfg: CorpusConfig, overwrite: bool = False) -> Path:
    """Run every stage of the build; returns the run folder."""
    if cfg.tokenize.tokenizer is not None:
        # resolve early: a wrong path must fail before hours of extraction
        resolve_tokenizer_file(cfg.tokenize.tokenizer)
    for p in input_paths(cfg):
        if not Path(p).exists():
            raise ConfigError(f"input not found: {p}")
    run = prepare_run(cfg, overwrite)
    if cfg.tokenize.enabled and cfg.tokenize.tokenizer is not None and not (run / "tokenizer" / "tokenizer.json").is_file():
        copy_model_tokenizer(cfg.tokenize.tokenizer, run / "tokenizer")
    stages = build_stages(cfg)
    timings: dict[str, float] = {}
    previous = None
    for stage in stages:
        if stage.name == "finalize" and cfg.executor.kind != "slurm":
            continue  # run below in this process, with the timings
        executor = make_executor(cfg, stage, run, depends=previous if cfg.executor.kind != "local" else None)
        t0 = time.perf_counter()
        executor.run()
        timings[stage.name] = round(time.perf_counter() - t0, 3)
        previous = executor
    if cfg.executor.kind != "slurm":
        finalize_run(cfg, timings)
    return run


# --- finalisation -------------------------------------------------------------------------


def merge_quarantine(run: Path) -> list[dict]:
    rows = []
    for rec in read_jsonl_gz(run / "work" / "quarantine"):
        meta = rec.get("metadata", {})
        q = meta.get("quarantine", {})
        rows.append(
            {
                "path": meta.get("source"),
                "id": rec.get("id"),
                "sha256": meta.get("sha256"),
                "format": meta.get("format"),
                "bytes": meta.get("bytes"),
                "reason": q.get("reason") or meta.get("filter_reason"),
                "detail": q.get("detail", ""),
            }
        )
    rows.sort(key=lambda r: (r["path"] or "", r["id"] or ""))
    atomic_write_text(run / "quarantine.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return rows


def merge_stats(run: Path) -> dict:
    """Merge each stage's per-task datatrove stats (all tasks, also those of an earlier, resumed run)."""
    merged = {}
    for stage_dir in sorted((run / "logs").iterdir()) if (run / "logs").is_dir() else []:
        parts = sorted((stage_dir / "stats").glob("*.json"))
        if not parts:
            continue
        total = sum((PipelineStats.from_json(json.loads(p.read_text())) for p in parts), start=PipelineStats())
        out = run / "stats" / f"{stage_dir.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as f:
            total.save_to_disk(f)
        merged[stage_dir.name] = json.loads(out.read_text())
    return merged


def count_docs(folder: Path) -> tuple[int, int]:
    docs = chars = 0
    for rec in read_jsonl_gz(folder):
        docs += 1
        chars += len(rec.get("text", ""))
    return docs, chars


def relativize_shard_metadata(run: Path) -> None:
    """datatrove writes the tokenizer's absolute path into each shard's ``.metadata``; make it
    run-relative so that the same build in two folders gives byte-identical shards."""
    for meta in sorted((run / "tokens").glob("*/*.ds.metadata")):
        lines = meta.read_text(encoding="utf-8").split("\n")
        name, _, size = lines[0].rpartition("|")
        if name != "tokenizer/tokenizer.json":
            lines[0] = f"tokenizer/tokenizer.json|{size}"
            atomic_write_text(meta, "\n".join(lines))


def finalize_run(cfg: CorpusConfig, timings: dict[str, float] | None = None) -> dict:
    run = Path(cfg.output)
    relativize_shard_metadata(run)
    quarantine = merge_quarantine(run)
    stats = merge_stats(run)
    read_stats = next((s for s in stats.get("extract", []) if "Raw files" in s.get("name", "")), {})
    n_inputs = int(counter_total(read_stats.get("stats", {}).get("documents", 0)))
    kept_docs, kept_chars = count_docs(run / "docs")
    drops = drop_counts(stats)
    quarantine_step = [k for k in drops if "Quarantine" in k]
    dropped = sum(sum(r.values()) for k, r in drops.items() if k not in quarantine_step)
    accounting = {
        "inputs": n_inputs,
        "kept": kept_docs,
        "dropped": dropped,
        "quarantined": len(quarantine),
        "balanced": n_inputs == kept_docs + dropped + len(quarantine),
        "kept_chars": kept_chars,
    }
    tokens = {}
    for side in ("train", "validation"):
        folder = run / "tokens" / side
        if folder.is_dir():
            try:
                shards = list_shards(folder)
                tokens[side] = {"files": len(shards), "tokens": sum(len(s) for s in shards), "documents": sum(s.num_docs for s in shards)}
            except ValueError:
                tokens[side] = {"files": 0, "tokens": 0, "documents": 0}
    stage_order = [st.name for st in build_stages(cfg)]
    summary = {"accounting": accounting, "stages": stage_order, "drops": drops, "tokens": tokens, "timings_s": timings or {}}
    atomic_write_json(run / "stats" / "summary.json", summary)
    atomic_write_json(run / "stats" / "histograms.json", signal_histograms(run))
    tok = run / "tokenizer" / "tokenizer.json"
    inputs = [
        {"path": f.path, "id": f.doc_id, "bytes": f.size, "sha256": sha256_file(f.path)}
        for f in list_input_files(input_paths(cfg), tuple(cfg.input.exclude))
    ]
    write_manifest(
        run,
        "corpus",
        cfg,
        inputs,
        accounting=accounting,
        drops=drops,
        tokens=tokens,
        timings_s=timings or {},
        tokenizer={"path": "tokenizer/tokenizer.json", "sha256": sha256_file(tok)} if tok.is_file() else None,
    )
    return summary
