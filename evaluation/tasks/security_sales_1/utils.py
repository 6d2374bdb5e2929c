"""security_sales_1: upstream calls the same prompt functions as cma_basics; only the loader differs."""

from kinyu.evaluation.tasks.cma_basics.utils import *  # noqa: F401,F403  (the doc_to_* names the YAMLs reference)
from kinyu.evaluation.tasks.data import dataset_loader


load_dataset = dataset_loader("security_sales_1")
