"""chabsa: local loader and upstream's 2-class adjusted macro-F1 (prompts are Jinja in the YAMLs)."""

from kinyu.evaluation.tasks.data import load_as_dataset
from kinyu.evaluation.tasks.metrics import two_class_adjusted_macro_f1

__all__ = ["load_dataset", "two_class_adjusted_macro_f1"]  # both named by the YAMLs


def load_dataset(**metadata):
    return load_as_dataset("chabsa", **metadata)
