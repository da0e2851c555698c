"""Reverse mode through the exponential integrators with a dense-matrix ``L``.

The matrix exponential's squaring loop has a run-time trip count, which ``jax.grad``
cannot reverse; :func:`~modelc.solvers.phi.expm_reversible` gives it a custom derivative
whose transpose is exact (``<L(a, e), g> = <e, L(a^T, g)>``).  Checked here: that
identity and the derivative against JAX's own ``expm``; then, on the forced linear ODE
``u' = theta L0 u + sin(t)`` with a dense 3x3 ``L0``, the gradient of ``sum u(T)`` with
respect to ``theta`` and ``u0`` by the discrete adjoint (``CheckpointAdjoint``) against
forward sensitivities (both the exact derivative of the computed solution) and against
the closed form; the continuous adjoint (``BacksolveAdjoint``) on exprb, and its clean
refusal of the split methods.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
import pytest

from modelc.solvers import Split, integrate
from modelc.solvers.adjoint import BacksolveAdjoint, CheckpointAdjoint, ForwardAdjoint
from modelc.solvers.phi import expm_reversible

L0 = jnp.array([[-1.0, 0.5, 0.2], [0.1, -2.0, 0.3], [0.0, 0.4, -3.0]])
U0 = jnp.array([1.0, 2.0, 3.0])
T_END = 1.0
ADAPTIVE = ("etdrk43", "exprb32", "exprb43")


def _closed_form(theta, u0):
    """``u(T)`` of ``u' = A u + sin(t) 1``, ``A = theta L0``: ``e^{AT} (u0 - Q) + P sin T +
    Q cos T`` with ``Q = -(A^2 + I)^{-1} 1`` and ``P = A Q`` (the periodic particular
    solution ``P sin t + Q cos t``)."""
    a = theta * L0
    q = -jnp.linalg.solve(a @ a + jnp.eye(3), jnp.ones(3))
    return jsl.expm(a * T_END) @ (u0 - q) + (a @ q) * jnp.sin(T_END) + q * jnp.cos(T_END)


def _forced(t, y, args):
    return jnp.sin(t) * jnp.ones_like(y)


def _final_sum(method, adjoint, dt0=None):
    """``(theta, u0) -> sum u(T)`` by ``method`` with ``adjoint``."""
    split = Split("matrix", lambda t, theta: theta * L0, _forced)
    tol = {"rtol": 1e-11, "atol": 1e-12} if method in ADAPTIVE else {"dt0": dt0}

    def loss(theta, u0):
        sol = integrate(lambda t, y, th: th * L0 @ y + _forced(t, y, th), u0,
                        jnp.array([0.0, T_END]), theta, method=method, split=split,
                        adjoint=adjoint, **tol)
        return jnp.sum(sol.ys[-1])
    return loss


def test_expm_reversible_derivative_and_its_transpose():
    """The tangent equals JAX's expm's (a different algorithm) and the cotangent is its
    exact transpose: <L(a, e), g> = <e, L^T(a, g)> for random a, e, g."""
    rng = np.random.default_rng(1)
    a, e, g = (jnp.asarray(rng.normal(size=(5, 5))) * s for s in (3.0, 1.0, 1.0))
    tangent = jax.jvp(expm_reversible, (a,), (e,))[1]
    np.testing.assert_allclose(tangent, jax.jvp(jsl.expm, (a,), (e,))[1], rtol=1e-11, atol=1e-11)
    cotangent = jax.vjp(expm_reversible, a)[1](g)[0]
    np.testing.assert_allclose(jnp.vdot(tangent, g), jnp.vdot(e, cotangent), rtol=1e-12)


def test_expm_reversible_second_derivative():
    """d^2/dtheta^2 <G, e^{theta a}> = <G, a^2 e^{theta a}>, by forward over forward (the
    linear map's JVP rule carries the residuals' tangents) and by forward over reverse."""
    rng = np.random.default_rng(4)
    a = jnp.asarray(3.0 * rng.standard_normal((3, 3)))
    g = jnp.asarray(rng.standard_normal((3, 3)))

    def f(theta):
        return jnp.sum(g * expm_reversible(theta * a))

    exact = jnp.sum(g * (a @ a @ jsl.expm(2.0 * a)))
    np.testing.assert_allclose(jax.jit(jax.jacfwd(jax.jacfwd(f)))(2.0), exact, rtol=1e-9)
    np.testing.assert_allclose(jax.jit(jax.jacfwd(jax.grad(f)))(2.0), exact, rtol=1e-9)


def _check_method(method, dt0, analytic_rtol):
    grads = {name: jax.jit(jax.grad(_final_sum(method, adj, dt0), argnums=(0, 1)))(1.0, U0)
             for name, adj in (("checkpoint", CheckpointAdjoint()), ("forward", ForwardAdjoint()))}
    for got, want in zip(grads["checkpoint"], grads["forward"]):  # same computed solution
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    exact = jax.grad(lambda th, u: jnp.sum(_closed_form(th, u)), argnums=(0, 1))(1.0, U0)
    if analytic_rtol is not None:
        for got, want in zip(grads["checkpoint"], exact):
            np.testing.assert_allclose(got, want, rtol=analytic_rtol)


# (method, dt0 for fixed-step methods, tolerance against the closed form or None): the
# discrete adjoint is the exact derivative of the computed solution, so it is compared with
# forward mode to 1e-10 always, and with the closed form where the solution is that accurate.
# etdrk43 is checked against forward mode only: on this problem N depends on t alone, its
# embedded estimate (N at the fourth stage minus N at the new solution) is then zero, and it
# takes one step over [0, 1] (error 1e-3; see the report).
# Only etdrk4 runs by default (each case is two gradient compiles, 10-40 s on a loaded machine).
CASES = [("etdrk4", 1 / 64, 1e-8),
         pytest.param("exprb43", None, 1e-8, marks=pytest.mark.slow),
         pytest.param("etdrk43", None, None, marks=pytest.mark.slow),
         pytest.param("etd1", 1 / 64, None, marks=pytest.mark.slow),
         pytest.param("etdrk2", 1 / 64, None, marks=pytest.mark.slow),
         pytest.param("etdrk4b", 1 / 64, 1e-8, marks=pytest.mark.slow),
         pytest.param("lawson4", 1 / 64, 1e-8, marks=pytest.mark.slow),
         pytest.param("etdab2", 1 / 64, None, marks=pytest.mark.slow),
         pytest.param("etdab3", 1 / 64, None, marks=pytest.mark.slow),
         pytest.param("etdab4", 1 / 64, 1e-7, marks=pytest.mark.slow),
         pytest.param("exprb32", None, 1e-8, marks=pytest.mark.slow)]


@pytest.mark.parametrize("method,dt0,analytic_rtol", CASES)
def test_checkpoint_adjoint_through_a_dense_matrix_exponential(method, dt0, analytic_rtol):
    """jax.grad by CheckpointAdjoint = forward sensitivities (1e-10) = the closed form."""
    _check_method(method, dt0, analytic_rtol)


@pytest.mark.slow  # a batched gradient compile
def test_checkpoint_adjoint_under_vmap():
    """vmap of the discrete-adjoint gradient over theta equals the loop of single ones."""
    grad = jax.grad(_final_sum("etdrk4", CheckpointAdjoint(), 1 / 16))
    thetas = jnp.array([0.5, 1.0, 1.5])
    batched = jax.jit(jax.vmap(grad, in_axes=(0, None)))(thetas, U0)
    np.testing.assert_allclose(batched, [grad(th, U0) for th in thetas], rtol=1e-12)


@pytest.mark.slow  # one adaptive gradient compile with a backward solve
def test_backsolve_adjoint_through_exprb43_equals_the_closed_form():
    """The continuous adjoint (the gradient of the exact solution, to the tolerances)."""
    got = jax.grad(_final_sum("exprb43", BacksolveAdjoint()), argnums=(0, 1))(1.0, U0)
    exact = jax.grad(lambda th, u: jnp.sum(_closed_form(th, u)), argnums=(0, 1))(1.0, U0)
    for g, e in zip(got, exact):
        np.testing.assert_allclose(g, e, rtol=1e-7)


@pytest.mark.parametrize("method", ["etdrk4", pytest.param("etdrk43", marks=pytest.mark.slow)])
def test_backsolve_adjoint_refuses_split_methods_and_names_the_ones_that_work(method):
    with pytest.raises(ValueError, match="CheckpointAdjoint.*ForwardAdjoint"):
        jax.grad(_final_sum(method, BacksolveAdjoint(), 1 / 4))(1.0, U0)
