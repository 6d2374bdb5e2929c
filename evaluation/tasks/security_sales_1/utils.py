"""security_sales_1: upstream calls the same prompt functions as cma_basics; only the loader differs."""

from kinyu.evaluation.tasks.cma_basics.utils import *  # noqa: F401,F403  (the doc_to_* names the YAMLs reference)
from kinyu.evaluation.tasks.data import load_as_dataset


def load_dataset(**metadata):
    return load_as_dataset("security_sales_1", **metadata)
