"""What the delay support refuses (with the line) and the names it generates."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.errors import ModelError

from .reference import linear_exact


@pytest.mark.parametrize("text, line, words", [
    ("state x = 1, z = 0\nder(x) = -x\nevent e when t > 1: z = delay(delay(x, 1), 1)\n", 3,
     "event `e` nests `delay(...)`"),
    ("state x = 1\nder(x) = -delay(x, 1)\nobserve o = delay(der(x), 1)\n", 3,
     "observable `o` nests `delay(...)`"),
    ("state x = 1\nder(x) = -delay(delay(x, 1), 1)\n", 2, "der(x) nests `delay(...)`"),
    ("state x = 1\nder(x) = -delay(x, delay(x, 1))\n", 2, "der(x) nests `delay(...)`"),
])
def test_unsupported_uses_are_refused_with_their_line(text, line, words):
    with pytest.raises(ModelError) as info:
        modelc.parse(text, "m.model", cache_modules=False)
    diag = info.value.diagnostics[0]
    assert diag.span.line == line and diag.message.startswith(words), diag.message
    assert diag.hint


def test_generated_names_never_meet_model_names():
    """A model whose names are the generated code's own (``history``, ``delaytime0``,
    ``delayed0``, ``delayed0s0``): its rhs reads the history it is given, and it
    solves x' = -x(t - 1) exactly (slow part below)."""
    m = modelc.parse("parameter history = 1, delaytime0 = 0\nstate delayed0 = 1, delayed0s0 = 0\n"
                     "der(delayed0) = -delay(delayed0, history) + delaytime0\n"
                     "der(delayed0s0) = 0\n")
    assert "def rhs(t, state, parameter, history):" in m.generated_source
    p = m.module.parameter_vector({"delaytime0": 0.5})
    queries = []
    f = m.module.rhs(2.0, jnp.asarray([7.0, 8.0]), p, lambda q: queries.append(q) or jnp.asarray([3.0]))
    np.testing.assert_allclose(np.asarray(f), [-3.0 + 0.5, 0.0])
    np.testing.assert_allclose(np.asarray(queries), [1.0])
    assert m.module.DELAY_COLUMNS == (0,) and m.module.DELAY_CONSTANT == (True,)


@pytest.mark.slow
def test_generated_names_solve():
    m = modelc.parse("parameter history = 1, delaytime0 = 0\nstate delayed0 = 1, delayed0s0 = 0\n"
                     "der(delayed0) = -delay(delayed0, history) + delaytime0\n"
                     "der(delayed0s0) = 0\n")
    sol = m.solve(t=(0, 3), points=7, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(sol["delayed0"]), linear_exact(sol.t), atol=1e-9)
