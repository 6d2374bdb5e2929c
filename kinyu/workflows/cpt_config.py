"""The config of ``kinyu study cpt`` (``configs/study/*.yaml``; every field is a flag) and the layout of a
study folder. The workflow is ``kinyu.workflows.cpt_study``, its data stage ``kinyu.workflows.cpt_data``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from kinyu.base.config import config_subset, load_config, option, shipped_config
from kinyu.base.layout import CorpusRun
from kinyu.evaluation.config import TaskDataConfig
from kinyu.training.config import TrainConfig, lr_problem
from kinyu.workflows.eval_sets import EvalSetsConfig

BASE = "base"
REFERENCE = "cpt"  # the default corpus without replay: what the other CPT variants are compared with


# the TrainConfig fields the study sets for every run from its own sections (model, base, cpt) and its folder
# (``kinyu.workflows.cpt_study.train_config``): not settable in ``train``
STUDY_SET_FIELDS = (
    "run.out_dir", "run.seed", "run.name",
    "data.corpus_runs", "data.replay_runs", "data.replay_ratio", "data.seq_len",
    "model.path", "model.architecture", "model.hidden_size", "model.num_layers", "model.num_heads", "model.intermediate_size",
    "model.max_position_embeddings",
    "optim.lr", "optim.min_lr",
    "schedule.micro_batch_size", "schedule.grad_accum_steps", "schedule.max_steps", "schedule.warmup_steps",
    "schedule.rewarm_from_checkpoint",
    "checkpoint.every_steps", "checkpoint.keep_last", "checkpoint.resumable",
    "logging.every_steps", "logging.eval_every_steps", "logging.tensorboard",
)
# every study run starts from the tiny CPU proxy's training config; ``train`` changes the rest of it
TRAIN_BASE = "train/tiny_cpu.yaml"
StudyTrainConfig = config_subset(
    TrainConfig, "StudyTrainConfig", load_config(TrainConfig, shipped_config(TRAIN_BASE)), STUDY_SET_FIELDS,
    "set by the study for every run (from its model, base and cpt sections and its folder), not in train",
)


@dataclass
class StudyModelConfig:
    """The proxy model, built from config (nothing is downloaded)."""

    architecture: str = option("llama", "a transformers model_type")
    hidden_size: int = option(128, "hidden size")
    num_layers: int = option(4, "transformer layers")
    num_heads: int = option(4, "attention heads")
    intermediate_size: int = option(512, "MLP inner size")
    seq_len: int = option(256, "tokens per training window")


@dataclass
class PhaseConfig:
    """One training phase (the base pretraining, or each CPT run): its token budget and schedule."""

    tokens: int = option(1_000_000, "tokens each run of this phase trains on (replay included): the same budget for every variant")
    lr: float = option(3e-3, "peak learning rate")
    min_lr: float = option(3e-4, "the cosine's floor")
    warmup_fraction: float = option(0.05, "share of the steps spent warming up (CPT: re-warming from the base's final rate)")
    micro_batch_size: int = option(8, "windows per forward pass")
    grad_accum_steps: int = option(1, "micro batches per optimiser step")
    snapshots: int = option(4, "evaluated checkpoints per run, evenly spaced (the curves' points)")

    def problems(self) -> list[str]:
        found = []
        if self.tokens < 1 or self.micro_batch_size < 1 or self.grad_accum_steps < 1 or self.snapshots < 1:
            found.append("tokens, micro_batch_size, grad_accum_steps and snapshots must be >= 1")
        if not 0.0 <= self.warmup_fraction < 1.0:
            found.append(f"warmup_fraction must be in [0, 1), got {self.warmup_fraction}")
        if problem := lr_problem(self.lr, self.min_lr):
            found.append(problem)
        return found


@dataclass
class CptStudyConfig:
    out: str = option("runs/study-cpt", "the study folder (data/, eval_sets/, runs/, scores/, report.md)")
    # 3, not 5: training and scoring scale with the seeds, so 5 would make the 40-minute CPU study about 65 minutes;
    # `kinyu study calibrate` measures what 3 seeds give at quick scale (false positives, planted differences found)
    seeds: int = option(3, "seeds per setting: each seed is one base model and one run of every CPT variant from it")
    finance_inputs: list[str] = option([], "financial input files/folders (raw PDF/HTML/text); the default config builds the corpus; "
                                           "empty = filings-u4's train reports, its valid+test reports held out (eval_sets.filings_u4)")
    general_train: str = option("../shared/data/general-ja/train", "general Japanese text the base model is pretrained on (*.jsonl/*.txt)")
    corpus_config: str | None = option(None, "corpus YAML for the financial corpus (empty = the shipped default)")
    vocab_size: int = option(8000, "the tokenizer, trained on the general corpus (the base model's vocabulary, as in real CPT)")
    # above the corpus build's 2M: the base model's vocabulary stands in for a pretrained model's,
    # trained on far more text than one build samples (livedoor news: 7.9M characters, ~0.9 GB)
    tokenizer_sample_chars: int = option(50_000_000, "characters of the general corpus the tokenizer trains on (all of livedoor news)")
    eval_sets: EvalSetsConfig = option(factory=EvalSetsConfig)
    model: StudyModelConfig = option(factory=StudyModelConfig)
    base: PhaseConfig = option(factory=PhaseConfig)
    cpt: PhaseConfig = option(factory=lambda: PhaseConfig(tokens=500_000, lr=1e-3, min_lr=1e-4, warmup_fraction=0.1))
    replay_ratios: list[float] = option([0.0, 0.05, 0.25], "general replay shares of the CPT variants on the default corpus (0 = the reference 'cpt')")
    unfiltered: bool = option(True, "also CPT on the same documents unfiltered and undeduplicated")
    repeat_control: bool = option(True, "also the reference variant again with another data order (A/A: must be within noise)")
    shuffled_control: bool = option(False, "also a planted effect: the default corpus with characters shuffled per document")
    calibration_pairs: int = option(20, "kinyu study calibrate: A/A pairs of the reference variant (2 x seeds CPT runs each)")
    calibration_planted: list[float] = option([0.5, 1.0, 2.0], "kinyu study calibrate: planted shifts, as multiples of the median detectable size")
    ngram_order: int = option(5, "the trivial baseline: a character n-gram model of this order on the base's training text and the CPT corpus (0 = off)")
    # the tasks of the final models, when task data is given; 100 items of each. `task_limit`, the study's
    # name for the limit before the section was shared, still loads (YAML key and flag alike)
    task_data: TaskDataConfig = option(factory=lambda: TaskDataConfig(limit=100), flatten=True, aliases={"task_limit": "limit"})
    eval_batch_size: int = option(8, "scoring batch size")
    eval_device: str = option("auto", "cpu, cuda or auto")
    workers: int = option(2, "corpus build workers")
    train: StudyTrainConfig = option(factory=StudyTrainConfig, mapping_flag=True,
                                     help="further training settings for every run: the TrainConfig fields the study does not set "
                                          "itself, defaults from configs/train/tiny_cpu.yaml (e.g. {deepspeed.precision: bf16, "
                                          "optim.torch_adam: true, run.cpu_threads: 1})")

    def problems(self) -> list[str]:
        found = []
        if self.ngram_order < 0:
            found.append(f"ngram_order must be >= 0 (0 = no n-gram baseline), got {self.ngram_order}")
        if self.seeds < 1:
            found.append("seeds must be >= 1 (3 or more for an interval)")
        # the calibration's arms take data-order offsets 100..999 (kinyu.workflows.calibration)
        if not 1 <= self.calibration_pairs <= 450:
            found.append(f"calibration_pairs must be in 1..450, got {self.calibration_pairs}")
        if any(not 0.0 <= r < 1.0 for r in self.replay_ratios) or 0.0 not in self.replay_ratios:
            found.append(f"replay_ratios must be in [0, 1) and include 0 (the reference), got {self.replay_ratios}")
        return found


# --------------------------------------------------------------------------------------------
# the study folder


@dataclass(frozen=True)
class Variant:
    name: str
    corpus: str  # data/<corpus>: fin_default | fin_raw | fin_shuffled
    replay: float
    order_offset: int = 0  # added to the seed for the data order only (the repeat control)


def cpt_variants(cfg: CptStudyConfig) -> list[Variant]:
    out = [Variant(REFERENCE if r == 0 else f"cpt_replay{round(r * 100)}", "fin_default", r) for r in sorted(cfg.replay_ratios)]
    if cfg.unfiltered:
        out.append(Variant("cpt_unfiltered", "fin_raw", 0.0))
    if cfg.repeat_control:
        out.append(Variant("cpt_repeat", "fin_default", 0.0, order_offset=1000))
    if cfg.shuffled_control:
        out.append(Variant("cpt_shuffled", "fin_shuffled", 0.0))
    return out


class Study:
    """Paths of one study folder."""

    def __init__(self, cfg: CptStudyConfig):
        self.cfg, self.root = cfg, Path(cfg.out)
        self.data, self.runs, self.scores = self.root / "data", self.root / "runs", self.root / "scores"

    def corpus(self, name: str) -> Path:
        return self.data / name

    @property
    def tokenizer(self) -> Path:
        return CorpusRun(self.corpus("general")).tokenizer_file

    def run(self, name: str, seed: int) -> Path:
        return self.runs / f"{name}_s{seed}"


# --------------------------------------------------------------------------------------------
# 1. data
