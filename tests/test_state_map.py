"""The pure solver's states of a many-state model as one output (modelc.state_map, issue 16):
the same values as per-state columns, one leaf under jit, and jit / vmap / jacfwd / grad."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.state_map import STATE_MAP_MIN, StateMap, states_dict

N = STATE_MAP_MIN + 2   # decoupled decays x_i' = -k * x_i, x_i(0) = i + 1
TEXT = "\n".join(["model decays \"independent decays\"", "parameter k = 0.7"]
                 + [f"state x{i} = {i + 1}.0\nder(x{i}) = -k*x{i}" for i in range(N)]) + "\n"
TS = np.linspace(0.0, 2.0, 5)   # float64 whatever JAX's x64 setting at import


@pytest.fixture(scope="module")
def decays():
    return modelc.parse(TEXT, "decays.model", cache_modules=False)


def _exact(k, ts=TS):
    return np.outer(np.exp(-k * np.asarray(ts)), np.arange(1, N + 1))


def test_mapping_behaviour():
    ys = jnp.arange(12.0).reshape(3, 4)
    out = StateMap(ys, ("a", "b", "c", "d"))
    assert list(out) == ["a", "b", "c", "d"] and len(out) == 4 and "c" in out and "e" not in out
    np.testing.assert_array_equal(out["c"], ys[:, 2])
    np.testing.assert_array_equal(dict(out)["d"], ys[:, 3])
    with pytest.raises(KeyError):
        out["e"]
    assert isinstance(states_dict(ys, ("a", "b", "c", "d")), dict)   # few states: a plain dict
    assert isinstance(states_dict(jnp.zeros((2, STATE_MAP_MIN)),
                                  tuple(f"s{i}" for i in range(STATE_MAP_MIN))), StateMap)


def test_jit_has_one_output_and_exact_values(decays):
    f = jax.jit(decays.solver(method="tsit5", rtol=1e-10, atol=1e-12))
    out = f({}, {}, TS)
    assert isinstance(out, StateMap) and len(jax.tree_util.tree_leaves(out)) == 1
    assert f.lower({}, {}, TS).as_text().count("func.func public") == 1
    got = np.stack([np.asarray(out[f"x{i}"]) for i in range(N)], axis=-1)
    np.testing.assert_allclose(got, _exact(0.7), rtol=1e-8)
    last = jax.tree.map(lambda a: a[-1], out)     # indexing leading axes keeps the columns
    np.testing.assert_allclose(last["x3"], 4.0 * np.exp(-1.4), rtol=1e-8)


def test_transforms_of_the_map_itself():
    names = tuple(f"s{i}" for i in range(STATE_MAP_MIN))
    scale = jnp.arange(1.0, STATE_MAP_MIN + 1)

    def f(p):   # s_i(t) = p["a"] * (i + 1) * t
        return StateMap(p["a"] * jnp.outer(jnp.asarray(TS), scale), names)

    jac = jax.jacfwd(f)({"a": 2.0})
    np.testing.assert_allclose(jac["s4"]["a"], 5.0 * TS)
    batched = jax.vmap(lambda a: f({"a": a}))(jnp.array([1.0, 3.0]))
    np.testing.assert_allclose(batched["s2"][1], 9.0 * TS)
    np.testing.assert_allclose(jax.grad(lambda a: f({"a": a})["s1"][-1])(1.0), 2.0 * TS[-1])


@pytest.mark.slow   # four compiles of the solve loop
def test_vmap_jacfwd_and_grad(decays):
    solve = decays.solver(method="tsit5", rtol=1e-10, atol=1e-12)
    ks = jnp.array([0.3, 0.9])
    batched = jax.vmap(lambda k: solve({}, {"k": k}, TS))(ks)
    for b, k in enumerate(np.asarray(ks)):
        np.testing.assert_allclose(batched["x5"][b], _exact(k)[:, 5], rtol=1e-8)
    # d x_i(t) / dk = -t (i + 1) exp(-k t), through a dict of scalars and through grad
    jac = jax.jacfwd(lambda p: solve({}, p, TS))({"k": 0.7})
    exact = -np.asarray(TS) * 3.0 * np.exp(-0.7 * np.asarray(TS))
    np.testing.assert_allclose(jac["x2"]["k"], exact, rtol=1e-6, atol=1e-12)
    g = jax.grad(lambda k: solve({}, {"k": k}, TS)["x2"][-1])(0.7)
    np.testing.assert_allclose(g, exact[-1], rtol=1e-6)
