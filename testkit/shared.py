"""Where the shared real data lives: ``../shared/data`` beside the repo, or ``$KINYU_SHARED_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """The folder holding ``real/`` and ``fin-harness/`` (it may be absent on a user's machine)."""
    env = os.environ.get("KINYU_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def shared_real_dir() -> Path:
    return shared_data_dir() / "real"


def require_shared(*parts: str) -> Path:
    """A path under the shared data; exits a benchmark with a clear message when it is absent."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        raise SystemExit(f"shared real data not found: {path} (set KINYU_SHARED_DATA to the folder holding real/ and fin-harness/)")
    return path


# the test being set up (tests/conftest.py sets it), so that shared() can check its marker
current_test = None


def shared(*parts: str) -> Path:
    """A path under the shared data for a test: skipped with the reason where absent.

    CI sets ``KINYU_REQUIRE_SHARED_DATA=1`` (it always has ``../shared``): there a missing path
    fails the test instead, so a green CI means every real-data test really ran. A test that
    reads shared data without the ``real_data`` marker fails, so ``-m "not real_data"`` is honest.
    """
    import pytest  # tests only; benchmarks use require_shared

    if current_test is not None and current_test.get_closest_marker("real_data") is None:
        pytest.fail(f"{current_test.nodeid} reads ../shared/data: mark it @pytest.mark.real_data")
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        message = f"shared real data not found: {path} (set KINYU_SHARED_DATA to the folder holding real/ and fin-harness/)"
        if os.environ.get("KINYU_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
