"""Shared test setup: an isolated modelc cache folder for the whole session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before modelc is imported anywhere, so no test touches the user's cache.
os.environ.setdefault("MODELC_CACHE_DIR", tempfile.mkdtemp(prefix="modelc-test-cache-"))

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


@pytest.fixture
def examples_dir() -> Path:
    """The repository's examples/ folder."""
    return EXAMPLES


DECAY = """
model decay "exponential decay"
parameter k = 0.5, scale = 2*k
state u = scale
der(u) = -k*u
observe twice = 2*u
simulate t = [0, 4], points = 41
"""


@pytest.fixture(scope="module")
def decay():
    """``du/dt = -k u``, u(0) = 2k (k = 0.5), with an observable ``twice = 2 u``."""
    import modelc

    return modelc.parse(DECAY)
