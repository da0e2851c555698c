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


def _array_shapes(jaxpr, found):
    """Every array shape in ``jaxpr`` and its sub-jaxprs (loops, conds, custom rules)."""
    for var in list(jaxpr.invars) + list(jaxpr.constvars):
        found.add(tuple(getattr(var.aval, "shape", ())))
    for eqn in jaxpr.eqns:
        for var in eqn.outvars:
            found.add(tuple(getattr(var.aval, "shape", ())))
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(item, "jaxpr", item)
                if hasattr(inner, "eqns"):
                    _array_shapes(inner, found)
    return found


@pytest.fixture
def traced_shapes():
    """``shapes(fn, *args)``: the set of array shapes in the traced program of ``fn``
    (to check that a solve forms no dense n x n matrix)."""
    import jax

    return lambda fn, *args: _array_shapes(jax.make_jaxpr(fn)(*args).jaxpr, set())
