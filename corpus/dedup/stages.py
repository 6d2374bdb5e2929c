"""The dedup stages of a build, in order, for any datatrove executor."""

from __future__ import annotations

from typing import Callable, Sequence

from datatrove.io import DataFolderLike
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashDedupBuckets
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter

from kinyu.corpus.dedup.config import DedupConfig
from kinyu.corpus.dedup.exact import ExactDedupFilter, ExactDedupFindDuplicates, ExactDedupSignatures
from kinyu.corpus.dedup.marks import RankFileJsonlReader
from kinyu.corpus.dedup.minhash import DocumentKeysWriter, JapaneseMinhashSignature, MinhashClusterKeepSmallest, MinhashDuplicateFilter
from kinyu.corpus.gates import removed_writer
from kinyu.base.config import validate

Stages = list[tuple[str, list[PipelineStep], int]]


def dedup_stages(
    cfg: DedupConfig,
    input_folder: DataFolderLike,
    output_folder: DataFolderLike,
    work_folder: str,
    removed_folder: str,
    tasks: int,
    between: tuple[str, Sequence[PipelineStep]] | None = None,
) -> Stages:
    """The dedup stages, in order: ``(stage_name, steps, num_tasks)``.

    1. ``exact_signatures`` (tasks), ``exact_duplicates`` (1 task): exact-duplicate marks.
    2. ``exact_filter`` (tasks): drop the marked copies into ``removed/exact_dedup/``, run the
       ``between`` steps (the pipeline puts decontamination here: it should see each text once),
       and write the survivors to the work folder.
    3. ``minhash_signatures`` (tasks), ``minhash_buckets`` (num_buckets tasks),
       ``minhash_clusters`` (1 task), ``minhash_filter`` (tasks): near-duplicates into
       ``removed/minhash_dedup/``, kept documents to ``output_folder`` as ``${rank}.jsonl.gz``.

    ``between``: ``(stage name used when exact dedup is off, steps)``. Run each stage with the
    same executor kind, each depending on the previous; work files stay under ``work_folder``.
    """
    validate(cfg, "dedup")
    if tasks < 1:
        raise ValueError(f"tasks must be >= 1, got {tasks}")
    work = str(work_folder).rstrip("/")
    between_name, between_steps = between or ("", [])

    def input_reader() -> JsonlReader:
        return JsonlReader(input_folder, glob_pattern="*.jsonl*", add_file_path=False)

    stages: Stages = []
    first_pass: list[PipelineStep] = []
    if cfg.exact:
        stages.append(("exact_signatures", [input_reader(), ExactDedupSignatures(f"{work}/exact/sigs")], tasks))
        stages.append(("exact_duplicates", [ExactDedupFindDuplicates(f"{work}/exact/sigs", f"{work}/exact/dups")], 1))
        first_pass.append(ExactDedupFilter(f"{work}/exact/dups", exclusion_writer=removed_writer(removed_folder, "exact_dedup")))
    first_pass += between_steps

    if not cfg.minhash:
        final_writer = JsonlWriter(output_folder, output_filename="${rank}.jsonl.gz")
        stages.append(("dedup_filter", [input_reader(), *first_pass, final_writer], tasks))
        return stages

    minhash_reader: Callable[[], JsonlReader] = input_reader
    if first_pass:
        prefiltered = f"{work}/prefiltered"
        stages.append(
            (
                "exact_filter" if cfg.exact else between_name,
                [input_reader(), *first_pass, JsonlWriter(prefiltered, output_filename="${rank}.jsonl.gz")],
                tasks,
            )
        )

        def minhash_reader() -> JsonlReader:
            return RankFileJsonlReader(prefiltered, add_file_path=False)

    mh = cfg.minhash_config()
    stages.append(
        (
            "minhash_signatures",
            [
                minhash_reader(),
                DocumentKeysWriter(f"{work}/minhash/keys"),
                JapaneseMinhashSignature(f"{work}/minhash/sigs", config=mh, word_tokenizer=cfg.word_tokenizer()),
            ],
            tasks,
        )
    )
    stages.append(("minhash_buckets", [MinhashDedupBuckets(f"{work}/minhash/sigs", f"{work}/minhash/buckets", config=mh)], mh.num_buckets))
    stages.append(
        (
            "minhash_clusters",
            [MinhashClusterKeepSmallest(f"{work}/minhash/buckets", f"{work}/minhash/keys", f"{work}/minhash/clusters")],
            1,
        )
    )
    stages.append(
        (
            "minhash_filter",
            [
                minhash_reader(),
                MinhashDuplicateFilter(f"{work}/minhash/clusters", exclusion_writer=removed_writer(removed_folder, "minhash_dedup")),
                JsonlWriter(output_folder, output_filename="${rank}.jsonl.gz"),
            ],
            tasks,
        )
    )
    return stages


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
