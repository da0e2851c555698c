"""Many numeric defaults as one array constant (issue 16): ``parameter_vector`` and
``initial_state`` of a model with `VECTOR_DEFAULTS_MIN` parameters and states give the same
vectors as the per-name form, with given entries overwritten."""

from __future__ import annotations

import jax
import numpy as np

import modelc
from modelc.codegen.expressions import VECTOR_DEFAULTS_MIN

N = VECTOR_DEFAULTS_MIN + 3
TEXT = "\n".join(["model decays \"independent decays\""]
                 + [f"parameter k{i} = {0.1 * (i + 1)}\nstate x{i} = {i + 0.5}\nder(x{i}) = -k{i}*x{i}"
                    for i in range(N)]) + "\n"


def test_defaults_and_given_entries():
    m = modelc.parse(TEXT, "decays.model", cache_modules=False)
    module = m.module
    assert "PARAMETER_DEFAULTS = (" in m.generated_source and "INITIAL_VALUES = (" in m.generated_source
    k = 0.1 * np.arange(1, N + 1)
    p = module.parameter_vector({})
    np.testing.assert_array_equal(p, k)
    q = np.array(module.parameter_vector({"k3": 2.5, "k0": -1.0}))
    np.testing.assert_array_equal(q, np.where(np.arange(N) == 3, 2.5, np.where(np.arange(N) == 0, -1.0, k)))
    x = np.arange(N) + 0.5
    np.testing.assert_array_equal(module.initial_state(p, {}), x)
    np.testing.assert_array_equal(module.initial_state(p, {"x5": 9.0}), np.where(np.arange(N) == 5, 9.0, x))
    # traced and batched given values
    batched = jax.vmap(lambda v: module.parameter_vector({"k7": v}))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(batched[:, 7], [1.0, 2.0])
    np.testing.assert_array_equal(batched[:, 8], [k[8], k[8]])
