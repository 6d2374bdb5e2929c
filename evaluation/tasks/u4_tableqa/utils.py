"""u4_tableqa / u4_tableqa_mc: the local loaders, prompts and the generative score (named by the YAMLs)."""

from kinyu.evaluation.tasks.data import dataset_loader
from kinyu.evaluation.tasks.u4_tableqa.scoring import doc_to_choice, doc_to_label, doc_to_target, doc_to_text, process_results

__all__ = ["load_dataset", "load_dataset_mc", "doc_to_text", "doc_to_target", "doc_to_choice", "doc_to_label", "process_results"]

load_dataset = dataset_loader("u4_tableqa")
load_dataset_mc = dataset_loader("u4_tableqa_mc")
