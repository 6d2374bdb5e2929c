"""kinyu corpus: a DataTrove pipeline from Japanese financial PDF/HTML/text to token shards."""

from gzip import GzipFile

import fsspec.compression

# Byte-identical outputs: datatrove writes .jsonl.gz through fsspec's gzip, whose header
# carries the current time and the file name. Two runs of the same build would then differ
# in their first bytes. Registered here because every worker process imports this package
# when it unpickles a pipeline step.
fsspec.compression.register_compression(
    "gzip",
    lambda f, **kwargs: GzipFile(fileobj=f, filename="", mtime=0, **kwargs),
    "gz",
    force=True,
)
