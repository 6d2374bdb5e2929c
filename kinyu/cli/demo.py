"""``kinyu demo``: the whole chain on the embedded sample (see :mod:`kinyu.workflows.demo`)."""

from __future__ import annotations

from kinyu.demo import main  # noqa: F401  (moves to kinyu.workflows.demo)
