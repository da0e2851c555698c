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


def _equations(jaxpr):
    """Every equation of ``jaxpr`` and of its sub-jaxprs (loops, conds, custom rules)."""
    for eqn in jaxpr.eqns:
        yield eqn
        for value in eqn.params.values():
            for item in value if isinstance(value, (tuple, list)) else (value,):
                inner = getattr(item, "jaxpr", item)
                if hasattr(inner, "eqns"):
                    yield from _equations(inner)


def _array_shapes(jaxpr, found):
    """Every array shape in ``jaxpr`` and its sub-jaxprs (loops, conds, custom rules)."""
    for var in list(jaxpr.invars) + list(jaxpr.constvars):
        found.add(tuple(getattr(var.aval, "shape", ())))
    for eqn in _equations(jaxpr):
        for var in eqn.outvars:
            found.add(tuple(getattr(var.aval, "shape", ())))
    return found


@pytest.fixture
def primitive_count():
    """``count(fn, name)``: how many ``name`` primitives the traced program of the jitted
    ``fn`` (no arguments) holds, nested jaxprs included (a ``while`` per loop, a ``sin``
    per rhs evaluation of a test rhs that marks itself with one)."""
    return lambda fn, name: sum(eqn.primitive.name == name
                                for eqn in _equations(fn.trace().jaxpr.jaxpr))


@pytest.fixture
def traced_shapes():
    """``shapes(fn, *args)``: the set of array shapes in the traced program of ``fn``
    (to check that a solve forms no dense n x n matrix)."""
    import jax

    return lambda fn, *args: _array_shapes(jax.make_jaxpr(fn)(*args).jaxpr, set())
