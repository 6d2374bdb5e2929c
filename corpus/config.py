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
        if self.zip_max_ratio <= 1 or self.zip_max_total_mb <= 0 or self.zip_max_depth < 0:
            return ["zip_max_ratio must be > 1, zip_max_total_mb > 0 and zip_max_depth >= 0"]
        return []


@dataclass
class ExtractConfig:
    # measured on every shared PDF (benchmarks/corpus_extract.py): the final text >= 0.99 similar to
    # pdfminer's on every file, the same keep/drop decisions on the labelled set's 145 PDF segments,
    # the same quarantine reasons; 163 vs 28 pages/s per core through the whole extract stage
    pdf_backend: Literal["pdfminer", "pypdfium2"] = option("pypdfium2", "pypdfium2: pdfium's characters through pdfminer's layout analysis (vertical 縦書き columns in order), ~6x pdfminer's pages/s; pdfminer: pdfminer.six alone")
    pdf_fallback: bool = option(True, "pypdfium2 failing on a file (unreadable, crash, text it leaves out): read that file with pdfminer (metadata extract_fallback)")
    pdf_detect_vertical: bool = option(True, "find vertical 縦書き lines (pdfminer LAParams(detect_vertical); both backends)")
    pdf_boxes_flow: float | None = option(None, "pdfminer LAParams(boxes_flow); none = reading-order sort, deterministic (pdfminer's grouping is not); pypdfium2 implements none only")
    pdf_join_lines: bool = option(True, "re-join hard-wrapped lines")
    pdf_drop_running_lines: bool = option(True, "drop running headers/footers and page numbers")
    # kinyu.corpus.extract.pdf_tables: rows of a label and right-aligned figures (a statement, a
    # fee schedule's 点数) found on the characters of both backends, written as html tables are
    pdf_tables: bool = option(True, "tables (a label column and aligned figure columns) as Markdown tables, each row with its label and each column its header path; false: their text as pdfminer lays it out")
    html_include_tables: bool = option(True, "keep tables (false: the text around them only)")
    # markdown: kinyu's rendering (kinyu.corpus.tables: one header line with each column's full
    # header path, every row with its label, the unit as a caption), which the filters judge as
    # tables; trafilatura: its own raw rows (headers on lines of their own, spans not repeated),
    # which they judge as residue. On the U4 gold cells of filings-u4 valid (benchmarks/tables.py).
    html_table_format: Literal["markdown", "trafilatura"] = option("markdown", "how tables are written: markdown (one header line with each column's header path, each row with its label) or trafilatura (its raw rows)")
    # measured on real 有報 sections (shared edinet-asr-html): favor_recall=True returned 3,272 of
    # 52,140 characters of S100J1VI-0104010 and 23,886 of 132,963 of S100IYG9-0104010
    html_favor_recall: bool = option(False, "trafilatura favor_recall; off, since on EDINET filings it loses most sections")
    min_chars: int = option(1, "drop documents shorter than this after normalisation")
    timeout_s: float = option(120.0, "wall-clock limit per PDF/HTML extraction; past it the document is quarantined as 'timeout' (0 = none)")
    pdf_max_pages: int = option(5000, "PDFs with more pages are quarantined as 'too_many_pages' (0 = no cap)")

    def problems(self) -> list[str]:
        if self.pdf_backend == "pypdfium2" and self.pdf_boxes_flow is not None:
            return ["pdf_boxes_flow: pypdfium2 orders text boxes as boxes_flow none only (--extract.pdf_backend pdfminer for a number)"]
        return []


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
    tokenizer_sample_chars: int = option(50_000_000, "train the tokenizer on at most this many characters (documents picked by id hash): bounded memory")
    eos_token: str | None = option(None, "EOS token text; unset = <|endoftext|>, </s> or <eos>")
    validation_fraction: float = option(0.05, "share of documents (by id hash) held out")
    shuffle: bool = option(True, "shuffle documents inside each shard (seeded)")
    max_tokens_per_file: int | None = option(None, "split shards above this many tokens")
    enabled: bool = option(True, "write token shards")


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

    def problems(self) -> list[str]:
        found = []
        if self.executor.tasks < 1 or self.executor.workers < 1:
            found.append("executor.tasks and executor.workers must be >= 1")
        if not 0.0 <= self.tokenize.validation_fraction < 1.0:
            found.append("tokenize.validation_fraction must be in [0, 1)")
        if self.input.max_file_mb <= 0:
            found.append("input.max_file_mb must be > 0")
        if not self.input.text_keys or any(not k.strip() or k.startswith(".") or k.endswith(".") or ".." in k
                                           for k in self.input.text_keys):
            found.append(f"input.text_keys must name at least one field path (text, a.b, a[].b), got {self.input.text_keys!r}")
        if self.tokenize.tokenizer_sample_chars < 1:
            found.append("tokenize.tokenizer_sample_chars must be >= 1")
        if self.extract.timeout_s < 0 or self.extract.pdf_max_pages < 0:
            found.append("extract.timeout_s and extract.pdf_max_pages must be >= 0 (0 = no limit)")
        return found
