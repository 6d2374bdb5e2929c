"""Shared test setup: offline everywhere, and the path of the shared real data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No test may reach a model hub: everything is built from configs and local files.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("KINYU_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared(*parts: str) -> Path:
    """A path under ../shared/data; skips the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared real data not found: {path} (set KINYU_SHARED_DATA to the folder holding real/ and fin-harness/)")
    return path


@pytest.fixture
def shared_data():
    return shared
