"""cpa_audit: upstream calls cma_basics' prompt functions, except for its own llama2 prompt (06)."""

from kinyu.evaluation.tasks import prompts as p
from kinyu.evaluation.tasks.cma_basics.utils import *  # noqa: F401,F403  (the doc_to_* names the YAMLs reference)
from kinyu.evaluation.tasks.data import dataset_loader

doc_to_text_06 = p.text_llama2_cpa_06

load_dataset = dataset_loader("cpa_audit")
