"""The dedup stages of a build, in order, for any datatrove executor.

A build's document passes (exact dedup, paragraph dedup, decontamination, MinHash) are chained: each :class:`Pass`
reads the documents the pass before it wrote and writes the survivors to one folder.
:func:`chain` wires them (the first reads the input folder, the last writes the output folder);
:func:`dedup_passes` gives the exact and MinHash passes, :func:`paragraph_pass` the cross-document
paragraph dedup, and :func:`dedup_stages` all three chained.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable, Sequence

from datatrove.io import DataFolderLike
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from kinyu.base.config import validate
from kinyu.base.layout import RANK_FILE
from kinyu.corpus.dedup.config import DedupConfig
from kinyu.corpus.dedup.exact import ExactDedupFilter, ExactDedupFindDuplicates, ExactDedupSignatures
from kinyu.corpus.dedup.marks import RankFileJsonlReader
from kinyu.corpus.dedup.paragraphs import ParagraphDedupFilter, ParagraphFindRepeats, ParagraphSignatures
from kinyu.corpus.dedup.minhash import DocumentKeysWriter, JapaneseMinhashSignature, MinhashClusterKeepSmallest, MinhashDuplicateFilter
from kinyu.corpus.gates import removed_writer

Stages = list[tuple[str, list[PipelineStep], int]]
Reader = Callable[[], PipelineStep]  # a new reader of the pass's input, for each stage that reads it


@dataclass(frozen=True)
class Pass:
    """Stages that read documents (``read``), drop or change some and write the rest to ``output``:
    ``stages(read, output)``. ``name`` names the folder it writes when another pass follows."""

    name: str
    stages: Callable[[Reader, str], Stages]


def filter_pass(name: str, steps: Sequence[PipelineStep], tasks: int) -> Pass:
    """One stage ``name``: read, ``steps``, write."""
    return Pass(name, lambda read, output: [(name, [read(), *steps, JsonlWriter(output, output_filename=RANK_FILE)], tasks)])


def chain(passes: Sequence[Pass], input_folder: DataFolderLike, output_folder: DataFolderLike, work_folder: str, tasks: int) -> Stages:
    """The stages of ``passes``, one after the other: the first reads ``input_folder``, each next
    one the folder the one before wrote (``work_folder/<its name>/``, read by rank: a document's
    position in its rank's stream, which the dedup marks refer to, stays the same), and the last
    writes ``output_folder``. No pass: one stage ``dedup_filter`` copies the documents."""
    passes = list(passes) or [filter_pass("dedup_filter", [], tasks)]
    work = str(work_folder).rstrip("/")
    read: Reader = partial(JsonlReader, input_folder, glob_pattern="*.jsonl*", add_file_path=False)
    stages: Stages = []
    for i, p in enumerate(passes):
        output = output_folder if i == len(passes) - 1 else f"{work}/{p.name}"
        stages += p.stages(read, output)
        read = partial(RankFileJsonlReader, output, add_file_path=False)
    return stages


def dedup_passes(cfg: DedupConfig, work_folder: str, removed_folder: str, tasks: int) -> tuple[Pass | None, Pass | None]:
    """``(exact, minhash)``: each None when the config turns it off.

    - exact: ``exact_signatures`` (tasks), ``exact_duplicates`` (1 task), ``exact_filter`` (tasks):
      the marked copies go to ``removed/exact_dedup/``;
    - minhash: ``minhash_signatures`` (tasks), ``minhash_buckets`` (num_buckets tasks),
      ``minhash_clusters`` (1 task), ``minhash_filter`` (tasks): near-duplicates to ``removed/minhash_dedup/``.

    Signatures, marks and clusters stay under ``work_folder``.
    """
    validate(cfg, "dedup")
    if tasks < 1:
        raise ValueError(f"tasks must be >= 1, got {tasks}")
    work = str(work_folder).rstrip("/")

    def exact(read: Reader, output: str) -> Stages:
        return [
            ("exact_signatures", [read(), ExactDedupSignatures(f"{work}/exact/sigs")], tasks),
            ("exact_duplicates", [ExactDedupFindDuplicates(f"{work}/exact/sigs", f"{work}/exact/dups")], 1),
            (
                "exact_filter",
                [
                    read(),
                    ExactDedupFilter(f"{work}/exact/dups", exclusion_writer=removed_writer(removed_folder, "exact_dedup")),
                    JsonlWriter(output, output_filename=RANK_FILE),
                ],
                tasks,
            ),
        ]

    def minhash(read: Reader, output: str) -> Stages:
        mh = cfg.minhash_config()
        return [
            (
                "minhash_signatures",
                [
                    read(),
                    DocumentKeysWriter(f"{work}/minhash/keys"),
                    JapaneseMinhashSignature(f"{work}/minhash/sigs", config=mh, word_tokenizer=cfg.word_tokenizer()),
                ],
                tasks,
            ),
            ("minhash_buckets", [MinhashDedupBuckets(f"{work}/minhash/sigs", f"{work}/minhash/buckets", config=mh)], mh.num_buckets),
            ("minhash_clusters", [MinhashClusterKeepSmallest(f"{work}/minhash/buckets", f"{work}/minhash/keys", f"{work}/minhash/clusters",
                                                             f"{work}/minhash/sigs", mh, cfg.min_similarity)], 1),
            (
                "minhash_filter",
                [
                    read(),
                    MinhashDuplicateFilter(f"{work}/minhash/clusters", exclusion_writer=removed_writer(removed_folder, "minhash_dedup")),
                    JsonlWriter(output, output_filename=RANK_FILE),
                ],
                tasks,
            ),
        ]

    return (Pass("exact_filter", exact) if cfg.exact else None, Pass("minhash_filter", minhash) if cfg.minhash else None)


def paragraph_pass(cfg: DedupConfig, work_folder: str, removed_folder: str, tasks: int) -> Pass | None:
    """Cross-document paragraph dedup (None when ``cfg.paragraphs`` is off): ``paragraph_signatures``
    (tasks), ``paragraph_repeats`` (1 task), ``paragraph_filter`` (tasks); the removed units and
    the documents left empty go to ``removed/paragraph_dedup/``; hashes and marks stay under
    ``work_folder/paragraphs/``."""
    c = cfg.paragraphs
    if not c.enabled:
        return None
    work = f"{str(work_folder).rstrip('/')}/paragraphs"

    def stages(read: Reader, output: str) -> Stages:
        return [
            ("paragraph_signatures", [read(), ParagraphSignatures(f"{work}/sigs", c)], tasks),
            ("paragraph_repeats", [ParagraphFindRepeats(f"{work}/sigs", f"{work}/dups", c.min_documents)], 1),
            (
                "paragraph_filter",
                [
                    read(),
                    ParagraphDedupFilter(f"{work}/dups", c, exclusion_writer=removed_writer(removed_folder, "paragraph_dedup")),
                    JsonlWriter(output, output_filename=RANK_FILE),
                ],
                tasks,
            ),
        ]

    return Pass("paragraph_filter", stages)


def dedup_stages(
    cfg: DedupConfig,
    input_folder: DataFolderLike,
    output_folder: DataFolderLike,
    work_folder: str,
    removed_folder: str,
    tasks: int,
) -> Stages:
    """The dedup stages, in order: ``(stage_name, steps, num_tasks)``: exact dedup, paragraph dedup
    (when on), then MinHash (:func:`dedup_passes`, :func:`paragraph_pass`), kept documents to ``output_folder`` as ``${rank}.jsonl.gz``.

    Run each stage with the same executor kind, each depending on the previous; work files stay
    under ``work_folder``.
    """
    exact, minhash = dedup_passes(cfg, work_folder, removed_folder, tasks)
    paragraphs = paragraph_pass(cfg, work_folder, removed_folder, tasks)
    return chain([p for p in (exact, paragraphs, minhash) if p], input_folder, output_folder, work_folder, tasks)


def run_stages_locally(stages: Stages, logging_dir: str, workers: int = 1) -> None:
    """Run ``dedup_stages`` output one after the other with ``LocalPipelineExecutor`` (tests, tools)."""
    from datatrove.executor import LocalPipelineExecutor  # executors pull in multiprocess; tools only

    for name, steps, num_tasks in stages:
        LocalPipelineExecutor(
            pipeline=steps,
            tasks=num_tasks,
            workers=min(workers, num_tasks),
            logging_dir=f"{logging_dir.rstrip('/')}/{name}",
            skip_completed=True,
        ).run()
