"""The corpus build's typed config: one dataclass per section, defaults with their reasons.

``configs/corpus.yaml`` is the default pipeline written out; every field is also a CLI flag
(``kinyu corpus build --extract.pdf_backend pdfminer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kinyu.base.config import option
from kinyu.corpus.decontam import DecontaminationConfig
from kinyu.corpus.dedup import DedupConfig
from kinyu.corpus.extract.archives import ZipLimits
from kinyu.corpus.extract.config import ExtractConfig
from kinyu.corpus.filters.config import QualityConfig
from kinyu.corpus.sample import sample_dir
from kinyu.corpus.select.config import SelectConfig


@dataclass
class InputConfig:
    paths: list[str] = option([], "files and folders to read (PDF, HTML, text, jsonl, WARC/ARC, ZIP); empty = the embedded sample")
    max_file_mb: float = option(64.0, "larger files, WARC records and ZIP members are quarantined unread (a 64 MB PDF is ~1000 pages)")
    exclude: list[str] = option([".*", "MANIFEST.json", "MANIFEST.md", "*.tmp"], "file-name globs to skip while walking folders; a glob with a '/' matches the file's id (input root name/relative path)")
    # a link inside the inputs is always read as its target; one that leaves them could put any
    # file of the machine (/etc/passwd, a key) into a shared corpus, so it takes a decision to read it
    follow_symlinks: bool = option(False, "also read symbolic links whose target is outside the input paths (links inside them are always read; the others are quarantined as 'symlink_outside_inputs')")
    # ZIP bundles (EDINET, TDnet) are read member by member, never unpacked to disk. HTML and XBRL
    # inflate 5-30x (the shared EDINET pages under deflate: 6-14x); a zip bomb 1000x and more.
    zip_max_ratio: float = option(200.0, "a ZIP member over 1 MiB that inflates more than this many times its compressed size is quarantined as 'zip_bomb' (a gzipped JSONL file likewise: 'gzip_bomb', the lines before kept)")
    zip_max_total_mb: float = option(16384.0, "members of one ZIP past this many MiB in all are quarantined as 'zip_bomb' (a gzipped JSONL file inflating past it: 'gzip_bomb')")
    zip_max_depth: int = option(2, "read ZIPs inside ZIPs this many levels deep (deeper: 'zip_bomb')")
    text_keys: list[str] = option(["text", "sentences[].sentence"], "JSON/JSONL/Parquet records: the fields tried in order for the text (datatrove's text_key); a.b is a nested field, a[].b the b of each element of list a, joined by newlines (sentences[].sentence reads chABSA)")

    def resolved_paths(self) -> list[str]:
        """What the build reads: ``paths``, or the embedded sample when none are given."""
        return list(self.paths) or [str(sample_dir())]

    def zip_limits(self) -> ZipLimits:
        return ZipLimits(int(self.max_file_mb * (1 << 20)), self.zip_max_ratio, int(self.zip_max_total_mb * (1 << 20)), self.zip_max_depth)

    def problems(self) -> list[str]:
        found = []
        if self.max_file_mb <= 0:
            found.append("max_file_mb must be > 0")
        if self.zip_max_ratio <= 1 or self.zip_max_total_mb <= 0 or self.zip_max_depth < 0:
            found.append("zip_max_ratio must be > 1, zip_max_total_mb > 0 and zip_max_depth >= 0")
        if not self.text_keys or any(not k.strip() or k.startswith(".") or k.endswith(".") or ".." in k for k in self.text_keys):
            found.append(f"text_keys must name at least one field path (text, a.b, a[].b), got {self.text_keys!r}")
        return found


@dataclass
class NormalizeConfig:
    nfkc: bool = option(True, "Unicode NFKC (full-width ASCII, half-width kana, look-alikes)")
    join_japanese_spaces: bool = option(True, "remove spaces between Japanese characters")


@dataclass
class CacheConfig:
    enabled: bool = option(True, "reuse extraction results across builds (filter-only rebuilds skip extraction)")
    dir: str | None = option(None, "cache folder; unset = $KINYU_CACHE_DIR or ~/.cache/kinyu/extract")


@dataclass
class TokenizeConfig:
    tokenizer: str | None = option(None, "local tokenizer.json or model directory; unset = train a byte-level BPE on the docs")
    vocab_size: int = option(8000, "size of the trained tokenizer (when none is given)")
    # 2M: the trainer holds 100-200 MB per million characters, so a build's peak stays flat from 10 to 98
    # filings (1.3x); every document, 16M for 98 filings, compresses 1.5-2.3 % better, at 1.8 GB
    # (benchmarks/filings.py, benchmarks/tokenizer_sample.py; README "Hundreds of filings")
    tokenizer_sample_chars: int = option(2_000_000, "train the tokenizer on at most this many characters (documents picked by id hash): its memory, 100-200 MB per million")
    eos_token: str | None = option(None, "EOS token text; unset = <|endoftext|>, </s> or <eos>")
    validation_fraction: float = option(0.05, "share of documents (by id hash) held out")
    shuffle: bool = option(True, "shuffle documents inside each shard (seeded)")
    max_tokens_per_file: int | None = option(None, "split shards above this many tokens")
    enabled: bool = option(True, "write token shards")

    def problems(self) -> list[str]:
        found = []
        if not 0.0 <= self.validation_fraction < 1.0:
            found.append("validation_fraction must be in [0, 1)")
        if self.tokenizer_sample_chars < 1:
            found.append("tokenizer_sample_chars must be >= 1")
        return found


@dataclass
class ExecutorConfig:
    kind: Literal["local", "ray", "slurm"] = option("local", "datatrove executor")
    tasks: int = option(4, "shards of the input; fixed tasks => identical output for any workers")
    workers: int = option(1, "tasks run at once: local processes, concurrent Ray tasks, or the Slurm array limit (--array=0-N%workers)")
    slurm_partition: str = option("cpu", "slurm: partition")
    slurm_time: str = option("04:00:00", "slurm: time limit per task")
    slurm_cpus_per_task: int = option(1, "slurm: CPUs per task")
    slurm_mem_per_cpu_gb: int = option(4, "slurm: memory per CPU (GB)")
    slurm_job_name: str = option("kinyu-corpus", "slurm: job name prefix")
    slurm_venv: str | None = option(None, "slurm: venv the jobs activate (its folder or bin/activate); unset = the venv running kinyu")
    slurm_sbatch_args: dict[str, str] = option({}, "slurm: more #SBATCH options, e.g. '{account: fin, qos: high}' (no qos = the cluster's default)")
    ray_address: str | None = option(None, "ray: a running cluster to attach to (HOST:PORT of `ray start --head`, or auto); unset = a local Ray")
    ray_cpus_per_task: int = option(1, "ray: CPUs per task")

    def problems(self) -> list[str]:
        return [f"{name} must be >= 1" for name in ("tasks", "workers") if getattr(self, name) < 1]


@dataclass
class CorpusConfig:
    output: str = option("runs/corpus", "the run folder (CORPUS_RUN)")
    seed: int = option(0, "seeds the split, shuffles and hashes")
    input: InputConfig = option(factory=InputConfig)
    select: SelectConfig = option(factory=SelectConfig)
    extract: ExtractConfig = option(factory=ExtractConfig)
    normalize: NormalizeConfig = option(factory=NormalizeConfig)
    cache: CacheConfig = option(factory=CacheConfig)
    quality: QualityConfig = option(factory=QualityConfig)
    dedup: DedupConfig = option(factory=DedupConfig)
    decontamination: DecontaminationConfig = option(factory=DecontaminationConfig)
    tokenize: TokenizeConfig = option(factory=TokenizeConfig)
    executor: ExecutorConfig = option(factory=ExecutorConfig)
