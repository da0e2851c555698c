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
