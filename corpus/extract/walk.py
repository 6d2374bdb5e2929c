"""Walking the input paths into the files a build reads, and the entries it does not read, each
with its reason (they become quarantine entries: nothing is left out silently).

The policy (also in the README, "Errors and data safety"):

- Regular files are read. FIFOs, sockets and device files are never opened (``open`` on a FIFO
  blocks until a writer comes, a device may never end): ``special_file``.
- A symbolic link whose target lies inside an input root is read as its target, a folder too;
  each file is read once, under its direct path's id when it also has one. A link that leaves the
  roots is not read (``symlink_outside_inputs``) unless ``input.follow_symlinks``; a link to one of
  its own parent folders (``symlink_loop``, also a link chain that never ends) or to nothing
  (``broken_symlink``) is not read either.
- A name that is not UTF-8 (bytes ``\\xff\\xfe``) is read; its id and ``source`` carry it
  escaped (``\\\\xff\\\\xfe``), since the run's JSON outputs cannot hold the raw bytes.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from kinyu.base.errors import PathNotFound


@dataclass(frozen=True)
class InputFile:
    path: str  # as the user gave it, joined with the relative path inside a folder (what is opened)
    doc_id: str  # stable id: input root name + relative path (printable: see printable())
    size: int
    source: str = ""  # the path as the outputs show it (printable); "" = path

    def __post_init__(self):
        if not self.source:
            object.__setattr__(self, "source", printable(self.path))


@dataclass(frozen=True)
class SkippedInput:
    """An entry of an input folder that is not read: its printable path and id, and why."""

    path: str
    doc_id: str
    reason: str
    detail: str


@dataclass
class InputListing:
    files: list[InputFile]
    skipped: list[SkippedInput]
    links: int  # symbolic links read as their target (files and folders)


def printable(name: str) -> str:
    """``name`` with the bytes that are not UTF-8 (Python's surrogate escapes of them) written as
    ``\\xff``: the form every output (JSON, logs) can hold."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"))


def _kind(mode: int) -> str:
    return next((what for test, what in _SPECIAL if test(mode)), "not a regular file")


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _is_dir(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is a folder or a link to one (a broken or looping link is not)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


@dataclass
class _Walk:
    roots: list[str]  # the real paths of the input roots
    exclude: tuple[str, ...]
    follow_symlinks: bool
    files: dict[str, tuple[InputFile, bool]] = field(default_factory=dict)  # real path -> (file, reached through a link)
    skipped: list[SkippedInput] = field(default_factory=list)
    folder_links: list[tuple[Path, str, str, str]] = field(default_factory=list)  # (link, id, target, real folder of the link)
    visited: set[str] = field(default_factory=set)
    links: int = 0

    def skip(self, path: Path, doc_id: str, reason: str, detail: str) -> None:
        self.skipped.append(SkippedInput(printable(str(path)), printable(doc_id), reason, detail))

    def excluded(self, doc_id: str, name: str) -> bool:
        return any(fnmatch.fnmatch(doc_id if "/" in pat else name, pat) for pat in self.exclude)

    def add(self, path: Path, doc_id: str, st: os.stat_result, real: str, via_link: bool) -> None:
        if not stat.S_ISREG(st.st_mode):
            self.skip(path, doc_id, "special_file", f"{_kind(st.st_mode)}, not a regular file: not opened")
            return
        known = self.files.get(real)
        if known is None or (known[1] and not via_link):  # each file once; its direct path's id wins over a link's
            self.files[real] = (InputFile(str(path), printable(doc_id), st.st_size), via_link)

    def target(self, path: Path, doc_id: str) -> tuple[os.stat_result, str] | None:
        """The stat and real path of the link ``path``'s target, or None (recorded as skipped)."""
        try:
            st = os.stat(path)
        except OSError as e:
            reason = "symlink_loop" if e.errno == errno.ELOOP else "broken_symlink"
            self.skip(path, doc_id, reason, f"symbolic link to {printable(os.readlink(path))}: {e.strerror}")
            return None
        real = os.path.realpath(path)
        if not self.follow_symlinks and not _inside(real, self.roots):
            self.skip(path, doc_id, "symlink_outside_inputs",
                      f"symbolic link to {printable(real)}, outside the input paths: not read (--input.follow_symlinks true reads it)")
            return None
        return st, real

    def entry(self, path: Path, doc_id: str, via_link: bool, folder_real: str) -> None:
        try:
            st = os.lstat(path)
        except OSError as e:
            self.skip(path, doc_id, "unreadable", f"{e.strerror}")
            return
        if stat.S_ISLNK(st.st_mode):
            found = self.target(path, doc_id)
            if found is None:
                return
            st, real = found
            if stat.S_ISDIR(st.st_mode):
                self.folder_links.append((path, doc_id, real, folder_real))  # followed after the direct walk
                return
            self.links += 1
            self.add(path, doc_id, st, real, True)
            return
        self.add(path, doc_id, st, os.path.realpath(path), via_link)

    def folder(self, path: Path, id_prefix: str, via_link: bool) -> None:
        real = os.path.realpath(path)
        self.visited.add(real)
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as e:
            self.skip(path, id_prefix, "unreadable", f"folder not listable: {e.strerror}")
            return
        for e in entries:
            doc_id = f"{id_prefix}/{e.name}"
            is_dir = _is_dir(e)
            if is_dir and e.name.startswith("."):
                continue
            if not is_dir and self.excluded(doc_id, e.name):
                continue
            if e.is_dir(follow_symlinks=False):
                self.folder(Path(e.path), doc_id, via_link)
            else:
                self.entry(Path(e.path), doc_id, via_link, real)

    def follow_folder_links(self) -> None:
        """Read the linked folders not read yet; a link to one of its own parents is a loop."""
        while self.folder_links:
            link, doc_id, real, folder_real = self.folder_links.pop(0)
            if folder_real == real or _inside(folder_real, [real]):
                self.skip(link, doc_id, "symlink_loop", f"symbolic link to its own parent folder {printable(real)}: not followed")
                continue
            if real in self.visited:
                continue  # read already, through another path: each file once
            self.links += 1
            self.folder(link, doc_id, True)


def walk_inputs(paths: list[str], exclude: tuple[str, ...] = (), follow_symlinks: bool = False) -> InputListing:
    """The files under ``paths`` (files and folders, recursively) sorted by id, and the entries not read.

    An ``exclude`` glob matches a file's name; one with a ``/`` matches its id instead (input root
    name/relative path, e.g. ``mhlw-pdf/0000196314.pdf``), as in .gitignore. Folders whose name
    starts with a dot are not walked.
    """
    walk = _Walk([os.path.realpath(p) for p in paths], tuple(exclude), follow_symlinks)
    for raw in paths:
        root = Path(raw)
        if not root.exists():
            raise PathNotFound(f"input not found: {raw}")
        if root.is_dir():
            walk.folder(root, root.name, False)
        else:  # a file named on the command line: read as given (its real path is a root)
            walk.add(root, root.name, root.stat(), os.path.realpath(root), False)
    walk.follow_folder_links()
    files = sorted((f for f, _ in walk.files.values()), key=lambda f: f.doc_id)
    return InputListing(files, sorted(walk.skipped, key=lambda s: s.doc_id), walk.links)
