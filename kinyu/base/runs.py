"""Run folders: atomic writes, input hashes, package versions and the manifest beside every output.

Each stage writes a ``manifest.json`` into its run folder (see the run-folder contracts in the
README) so that any output can be traced to the config, code versions and exact input bytes
that made it.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from kinyu.base.config import to_dict

MANIFEST = "manifest.json"  # every run folder's own record (kinyu.base.layout names the rest)

DEFAULT_PACKAGES = (
    "kinyu",
    "datatrove",
    "fugashi",
    "unidic-lite",
    "trafilatura",
    "pdfminer.six",
    "pypdfium2",
    "datasketch",
    "tokenizers",
    "transformers",
    "torch",
    "deepspeed",
    "lm-eval",
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def package_versions(names: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def environment() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "argv": sys.argv,
    }


def write_manifest(
    run_dir: str | Path,
    stage: str,
    config: Any,
    inputs: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Path:
    """Write ``run_dir/manifest.json``: stage, resolved config, versions, inputs, extras."""
    run_dir = Path(run_dir)
    manifest = {
        "stage": stage,
        "created_unix": time.time(),
        "config": to_dict(config),
        "versions": package_versions(),
        "environment": environment(),
        "inputs": inputs or [],
        **extra,
    }
    path = run_dir / MANIFEST
    atomic_write_json(path, manifest)
    return path
