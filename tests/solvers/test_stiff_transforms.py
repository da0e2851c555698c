"""jit / vmap / jacfwd with the stiff methods, and method="auto" inside jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import integrate

from problems import ROBERTSON_K, robertson, robertson_jac

TS = jnp.array([0.0, 1e-3, 1.0, 10.0])
Y0 = jnp.array([1.0, 0.0, 0.0])


def _final(k, method):
    return integrate(robertson, Y0, TS, k, method=method, rtol=1e-9, atol=1e-14,
                     jac=robertson_jac).ys[-1]


@pytest.mark.parametrize("method", ["rodas5", pytest.param("kvaerno5", marks=pytest.mark.slow)])
def test_vmap_jacfwd(method):
    """(Both run the loop under jit; jit alone is covered by test_auto_inside_jit.)"""
    k = jnp.asarray(ROBERTSON_K)
    ks = k[None] * jnp.array([[1.0], [1.1], [0.9]])
    batched = jax.vmap(_final, in_axes=(0, None))(ks, method)
    for i in range(3):
        np.testing.assert_allclose(batched[i], _final(ks[i], method), rtol=1e-9, atol=1e-15)
    # sensitivity to k1 by forward mode vs central differences (relative step 1e-4)
    jk = jax.jacfwd(_final)(k, method)[:, 0]
    e = jnp.array([0.04e-4, 0.0, 0.0])
    fd = (_final(k + e, method) - _final(k - e, method)) / (2 * e[0])
    np.testing.assert_allclose(jk, fd, rtol=1e-4, atol=1e-8)


def test_auto_inside_jit_uses_lax_cond():
    """Traced inputs: every candidate loop is compiled and ``lax.switch`` runs the one of
    least predicted work; whichever it is, it solves Robertson, step for step as that
    method called directly."""
    k = jnp.asarray(ROBERTSON_K)
    f = jax.jit(lambda k: integrate(robertson, Y0, TS, k, method="auto", rtol=1e-9,
                                    atol=1e-14, jac=robertson_jac))
    auto = f(k)
    ros = integrate(robertson, Y0, TS, k, method="rodas5", rtol=1e-9, atol=1e-14,
                    jac=robertson_jac)
    assert int(auto.status) == 0
    np.testing.assert_allclose(auto.ys, ros.ys, rtol=1e-6, atol=1e-12)
    chosen = "rodas5" if int(auto.njev) > 0 else "tsit5"
    same = integrate(robertson, Y0, TS, k, method=chosen, rtol=1e-9, atol=1e-14,
                     jac=robertson_jac)
    assert int(auto.steps) == int(same.steps) and int(auto.njev) == int(same.njev)
    # the same jitted function takes the explicit branch for a non-stiff parameter set
    mild = f(jnp.array([0.04, 0.3, 0.1]))
    assert int(mild.njev) == 0 and int(mild.status) == 0
