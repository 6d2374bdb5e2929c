"""The one base of every error a user can cause and fix: a path, a config value, a run folder, an
input file. ``kinyu`` prints a :class:`UserError` as one line, ``kinyu <command>: error: <message>``,
and exits 2 (:meth:`kinyu.cli.common.Group.main`, the one place that catches it); any other
exception is a bug and keeps its traceback.

A stage declares its own errors as subclasses (``TrainInputError``, ``EvalError``, ``ShardError``,
...), so that code that knows the stage can catch just those; the CLI needs no list of them.
"""

from __future__ import annotations


class UserError(ValueError):
    """An input that cannot work, said so that the user can fix it: the message names the flag, field,
    file or folder at fault. A ``ValueError``, as the errors it is the base of were before."""


class PathNotFound(UserError, FileNotFoundError):
    """A file or folder the user named (a flag, a config field, an argument) that does not exist."""
