"""Shared test setup: offline everywhere, and the path of the shared real data."""

from __future__ import annotations

import os

import pytest

import testkit.shared
from testkit.shared import shared

# No test may reach a model hub: everything is built from configs and local files.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture
def shared_data():
    return shared


@pytest.fixture(scope="session")
def fin_harness():
    """japanese-lm-fin-harness's task data (cma_basics/, cpa/, fp2/, security_sales_1/) in the shared data."""
    return shared("fin-harness")


@pytest.fixture(scope="session")
def chabsa_dir():
    """chABSA's json files in the shared data (the chabsa task's data)."""
    return shared("real", "chabsa-json")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    testkit.shared.current_test = item  # before its fixtures run, so module fixtures are checked too
