"""chabsa: local loader and upstream's 2-class adjusted macro-F1 (prompts are Jinja in the YAMLs)."""

from kinyu.evaluation.tasks.data import dataset_loader
from kinyu.evaluation.tasks.metrics import two_class_adjusted_macro_f1

__all__ = ["load_dataset", "two_class_adjusted_macro_f1"]  # both named by the YAMLs

load_dataset = dataset_loader("chabsa")
