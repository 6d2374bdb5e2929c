"""A full disk said in one line: which disk, what was being written, and that a rerun resumes.

A build that runs out of space fails in whatever writes next (a datatrove writer, a progress file,
the stage's console.log, the manifest), and then again while reporting it; the CLI prints this
line instead of the chain of tracebacks.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from kinyu.base.runs import human_bytes

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)  # the disk, or the user's quota on it


def no_space(e: BaseException | None) -> OSError | None:
    """The out-of-space error in ``e``'s chain (itself, its cause or its context), or None."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in NO_SPACE:
            return e
        e = e.__cause__ or e.__context__
    return None


def written_file(e: OSError) -> str | None:
    """The file a failed write was writing: the error's own file name, else the innermost frame's
    ``path`` (an fsspec file's ``self.path``, an atomic write's ``path``); None when unknown
    (an error that came back from a worker process has lost its frames)."""
    if e.filename:
        return os.fsdecode(e.filename)
    found, tb = None, e.__traceback__
    while tb is not None:
        frame = tb.tb_frame.f_locals
        path = getattr(frame.get("self"), "path", None) or frame.get("path")
        if isinstance(path, (str, os.PathLike)):
            found = os.fspath(path)
        tb = tb.tb_next
    return found


def mount_point(path: str | Path) -> Path:
    """The mount point (the disk) that ``path`` is on."""
    p = Path(os.path.abspath(path))
    while not p.exists() or not os.path.ismount(p):
        if p.parent == p:
            return p
        p = p.parent
    return p


def disk_full_line(e: OSError, doing: str, fallback: str | Path) -> str:
    """``disk full: no space left on <disk> (<free> free) while <doing> <file>; ... rerun ... resumes``;
    ``fallback``: the file or folder named when the error does not say which file it was."""
    target = written_file(e) or str(fallback)
    disk = mount_point(target)
    try:
        free = f"{human_bytes(shutil.disk_usage(disk).free)} free"
    except OSError:
        free = "free space unknown"
    return (f"disk full: no space left on {disk} ({free}) while {doing} {target}. Free some space there (or build into "
            "an --output on a larger disk) and rerun the same command: it resumes from the tasks that finished")
