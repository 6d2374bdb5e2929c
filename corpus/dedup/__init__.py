"""Exact and MinHash near-duplicate removal for Japanese documents, as datatrove stages.

``config`` (settings, kept-copy rule), ``exact`` and ``minhash`` (the stages), ``stages`` (their
order in a build), ``check`` (an in-memory check of a small collection or a run's ``docs/``).
The copy kept is always the smallest ``(metadata["source"], id)``, so the kept set does not
depend on task count, worker count or input order.
"""

from kinyu.corpus.dedup.check import DuplicateCluster, char_shingles, dedup_check, dedup_check_folder, print_clusters, read_documents
from kinyu.corpus.dedup.config import CharNgramTokenizer, DedupConfig, doc_key, exact_dedup_text
from kinyu.corpus.dedup.exact import ExactDedupFilter, ExactDedupFindDuplicates, ExactDedupSignatures
from kinyu.corpus.dedup.minhash import JapaneseMinhashSignature, MinhashClusterKeepSmallest, MinhashDuplicateFilter
from kinyu.corpus.dedup.stages import dedup_stages, run_stages_locally

__all__ = [
    "DedupConfig",
    "CharNgramTokenizer",
    "doc_key",
    "exact_dedup_text",
    "dedup_stages",
    "run_stages_locally",
    "dedup_check",
    "dedup_check_folder",
    "char_shingles",
    "read_documents",
    "print_clusters",
    "DuplicateCluster",
    "ExactDedupSignatures",
    "ExactDedupFindDuplicates",
    "ExactDedupFilter",
    "JapaneseMinhashSignature",
    "MinhashClusterKeepSmallest",
    "MinhashDuplicateFilter",
]
