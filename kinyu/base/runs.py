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
import shutil
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from kinyu.base.config import to_dict
from kinyu.base.errors import UserError

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


_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting it and setting it back: there is no getter)."""
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so readers never see half a file.

    The file gets the mode a plain ``open(path, "w")`` would give (0666 less the umask), not the
    private 0600 of ``tempfile.mkstemp``: on a shared cluster the team reads the run folders.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
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


class NotARunFolder(UserError):
    """A folder that a command was asked to remove but that is not one of kinyu's run folders."""


def folder_size(path: str | Path) -> tuple[int, int]:
    """(files, bytes) below ``path``."""
    files = size = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            files += 1
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return files, size


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def remove_run_folder(path: str | Path, why: str | None, what: str = "run folder") -> str | None:
    """Remove ``path`` only when ``why`` (the evidence that it is a kinyu ``what``, e.g. "its
    config.yaml") is given; return a line saying what was removed (None when there was nothing).

    An empty folder is left in place; any other folder raises :class:`NotARunFolder`, so that a
    flag like ``--overwrite`` never deletes files kinyu did not write.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_dir():
        raise NotARunFolder(f"{path} is not a folder; refusing to remove it")
    if not any(path.iterdir()):
        return None
    if not why:
        raise NotARunFolder(
            f"{path} is not a kinyu {what} (no config.yaml or manifest.json of one): refusing to remove it. "
            "Choose another output folder, or remove it yourself if you mean to."
        )
    files, size = folder_size(path)
    shutil.rmtree(path)
    return f"removed {path}: a kinyu {what} ({why}; {files:,} file{'s' if files != 1 else ''}, {human_bytes(size)})"


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
