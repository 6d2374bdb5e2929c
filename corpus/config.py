"""The corpus build's typed config: one dataclass per section, defaults with their reasons.

``configs/corpus.yaml`` is the default pipeline written out; every field is also a CLI flag
(``kinyu corpus build --extract.pdf_backend pypdfium2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from corpus.decontam import DecontaminationConfig
from corpus.dedup import DedupConfig
from corpus.filters.config import QualityConfig
from kinyu.config import ConfigError


def _help(text: str) -> dict:
    return {"help": text}


@dataclass
class InputConfig:
    paths: list[str] = field(default_factory=list, metadata=_help("files and folders to read; empty = the embedded sample"))
    max_file_mb: float = field(default=64.0, metadata=_help("larger files are quarantined unread (a 64 MB PDF is ~1000 pages)"))
    exclude: list[str] = field(
        default_factory=lambda: [".*", "MANIFEST.json", "MANIFEST.md", "*.tmp"],
        metadata=_help("file-name globs to skip while walking folders"),
    )


@dataclass
class ExtractConfig:
    pdf_backend: Literal["pdfminer", "pypdfium2"] = field(
        default="pdfminer",
        metadata=_help("pdfminer reads vertical 縦書き text in order; pypdfium2 is ~10x faster"),
    )
    pdf_detect_vertical: bool = field(default=True, metadata=_help("pdfminer LAParams(detect_vertical)"))
    pdf_boxes_flow: float | None = field(
        default=None,
        metadata=_help("pdfminer LAParams(boxes_flow); none = reading-order sort, deterministic (pdfminer's grouping is not)"),
    )
    pdf_join_lines: bool = field(default=True, metadata=_help("re-join hard-wrapped lines"))
    pdf_drop_running_lines: bool = field(default=True, metadata=_help("drop running headers/footers and page numbers"))
    html_include_tables: bool = field(default=True, metadata=_help("keep table text (filters remove table residue later)"))
    html_favor_recall: bool = field(
        default=False,
        # measured on real 有報 sections (shared edinet-asr-html): favor_recall=True returned 3,272 of
        # 52,140 characters of S100J1VI-0104010 and 23,886 of 132,963 of S100IYG9-0104010
        metadata=_help("trafilatura favor_recall; off, since on EDINET filings it loses most sections"),
    )
    min_chars: int = field(default=1, metadata=_help("drop documents shorter than this after normalisation"))
    timeout_s: float = field(
        default=120.0,
        metadata=_help("wall-clock limit per PDF/HTML extraction; past it the document is quarantined as 'timeout' (0 = none)"),
    )
    pdf_max_pages: int = field(
        default=5000,
        metadata=_help("PDFs with more pages are quarantined as 'too_many_pages' (0 = no cap)"),
    )


@dataclass
class NormalizeConfig:
    nfkc: bool = field(default=True, metadata=_help("Unicode NFKC (full-width ASCII, half-width kana, look-alikes)"))
    join_japanese_spaces: bool = field(default=True, metadata=_help("remove spaces between Japanese characters"))


@dataclass
class CacheConfig:
    enabled: bool = field(default=True, metadata=_help("reuse extraction results across builds (filter-only rebuilds skip extraction)"))
    dir: str | None = field(default=None, metadata=_help("cache folder; unset = $KINYU_CACHE_DIR or ~/.cache/kinyu/extract"))


@dataclass
class TokenizeConfig:
    tokenizer: str | None = field(
        default=None,
        metadata=_help("local tokenizer.json or model directory; unset = train a byte-level BPE on the docs"),
    )
    vocab_size: int = field(default=8000, metadata=_help("size of the trained tokenizer (when none is given)"))
    tokenizer_sample_chars: int = field(
        default=50_000_000,
        metadata=_help("train the tokenizer on at most this many characters (documents picked by id hash): bounded memory"),
    )
    eos_token: str | None = field(default=None, metadata=_help("EOS token text; unset = <|endoftext|>, </s> or <eos>"))
    validation_fraction: float = field(default=0.05, metadata=_help("share of documents (by id hash) held out"))
    shuffle: bool = field(default=True, metadata=_help("shuffle documents inside each shard (seeded)"))
    max_tokens_per_file: int | None = field(default=None, metadata=_help("split shards above this many tokens"))
    enabled: bool = field(default=True, metadata=_help("write token shards"))


@dataclass
class ExecutorConfig:
    kind: Literal["local", "ray", "slurm"] = field(default="local", metadata=_help("datatrove executor"))
    tasks: int = field(default=4, metadata=_help("shards of the input; fixed tasks => identical output for any workers"))
    workers: int = field(
        default=1,
        metadata=_help("tasks run at once: local processes, concurrent Ray tasks, or the Slurm array limit (--array=0-N%workers)"),
    )
    slurm_partition: str = field(default="cpu", metadata=_help("slurm: partition"))
    slurm_time: str = field(default="04:00:00", metadata=_help("slurm: time limit per task"))
    slurm_cpus_per_task: int = field(default=1, metadata=_help("slurm: CPUs per task"))
    slurm_mem_per_cpu_gb: int = field(default=4, metadata=_help("slurm: memory per CPU (GB)"))
    slurm_job_name: str = field(default="kinyu-corpus", metadata=_help("slurm: job name prefix"))
    slurm_venv: str | None = field(
        default=None,
        metadata=_help("slurm: venv the jobs activate (its folder or bin/activate); unset = the venv running kinyu"),
    )
    slurm_sbatch_args: dict[str, str] = field(
        default_factory=dict,
        metadata=_help("slurm: more #SBATCH options, e.g. '{account: fin, qos: high}' (no qos = the cluster's default)"),
    )
    ray_address: str | None = field(
        default=None,
        metadata=_help("ray: a running cluster to attach to (HOST:PORT of `ray start --head`, or auto); unset = a local Ray"),
    )
    ray_cpus_per_task: int = field(default=1, metadata=_help("ray: CPUs per task"))


@dataclass
class CorpusConfig:
    output: str = field(default="runs/corpus", metadata=_help("the run folder (CORPUS_RUN)"))
    seed: int = field(default=0, metadata=_help("seeds the split, shuffles and hashes"))
    input: InputConfig = field(default_factory=InputConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontamination: DecontaminationConfig = field(default_factory=DecontaminationConfig)
    tokenize: TokenizeConfig = field(default_factory=TokenizeConfig)
    executor: ExecutorConfig = field(default_factory=ExecutorConfig)

    def validate(self) -> None:
        if self.executor.tasks < 1 or self.executor.workers < 1:
            raise ConfigError("executor.tasks and executor.workers must be >= 1")
        if not 0.0 <= self.tokenize.validation_fraction < 1.0:
            raise ConfigError("tokenize.validation_fraction must be in [0, 1)")
        if self.input.max_file_mb <= 0:
            raise ConfigError("input.max_file_mb must be > 0")
        if self.tokenize.tokenizer_sample_chars < 1:
            raise ConfigError("tokenize.tokenizer_sample_chars must be >= 1")
        if self.extract.timeout_s < 0 or self.extract.pdf_max_pages < 0:
            raise ConfigError("extract.timeout_s and extract.pdf_max_pages must be >= 0 (0 = no limit)")
