"""Reverse-mode gradients of solves: discrete (checkpointed), backsolve and
forward-sensitivity adjoints, and the automatic choice between them.

Checked against central finite differences and forward mode (``jacfwd``),
for an explicit, a stiff and an exponential method, w.r.t. parameters and the
initial state.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from modelc.solvers import integrate
from modelc.solvers.adjoint import (FORWARD_MAX_PERTURBED, BacksolveAdjoint, CheckpointAdjoint,
                                    ForwardAdjoint, choose_adjoint)


def lorenz(t, u, p):
    x, y, z = u[0], u[1], u[2]
    return jnp.stack([p[0] * (y - x), x * (p[1] - z) - y, x * y - p[2] * z])


TS = jnp.linspace(0.0, 1.0, 6)
P0 = jnp.array([10.0, 28.0, 8.0 / 3.0])
Y0 = jnp.array([1.0, 0.5, 1.5])


def _loss(method, adjoint=CheckpointAdjoint(), rtol=1e-11):
    def loss(p, y0):
        ys = integrate(lorenz, y0, TS, p, method=method, rtol=rtol, atol=rtol,
                       adjoint=adjoint).ys
        return jnp.sum(ys[1:] ** 2 * jnp.arange(1, 4)) / 1e3
    return loss


def _central(f, x, h=1e-5):
    """Central differences of ``f`` at ``x`` (``f`` jitted once: every call reuses it)."""
    f = jax.jit(f)
    return np.array([(f(x.at[i].add(h)) - f(x.at[i].add(-h))) / (2 * h)
                     for i in range(x.shape[0])])


@pytest.mark.parametrize("method", ["tsit5", pytest.param("rodas5", marks=pytest.mark.slow)])
def test_grad_matches_finite_differences_and_forward_mode(method):
    loss = _loss(method)
    gp, gy = jax.jit(jax.grad(loss, argnums=(0, 1)))(P0, Y0)
    fp, fy = jax.jacfwd(loss, argnums=(0, 1))(P0, Y0)
    np.testing.assert_allclose(gp, fp, rtol=1e-8)
    np.testing.assert_allclose(gy, fy, rtol=1e-8)
    np.testing.assert_allclose(gp, _central(lambda p: loss(p, Y0), P0), rtol=1e-6)
    np.testing.assert_allclose(gy, _central(lambda y: loss(P0, y), Y0), rtol=1e-6)


@pytest.mark.slow
def test_checkpoint_count_does_not_change_the_gradient():
    """Any checkpoint layout (including one per step) gives the same numbers."""
    g = [jax.grad(_loss("tsit5", CheckpointAdjoint(c), rtol=1e-8))(P0, Y0)
         for c in (None, 3, 100_000)]
    np.testing.assert_allclose(g[1], g[0], rtol=1e-12)
    np.testing.assert_allclose(g[2], g[0], rtol=1e-12)


def test_backsolve_adjoint_of_exponential_decay():
    """y' = -k y: d/dk sum y(t_i) = -sum t_i y0 exp(-k t_i), d/dy0 = sum exp(-k t_i)."""
    ts = jnp.linspace(0.0, 2.0, 5)

    def loss(k, y0, adjoint):
        ys = integrate(lambda t, y, k: -k * y, y0, ts, k, rtol=1e-10, atol=1e-12,
                       adjoint=adjoint).ys
        return jnp.sum(ys)

    k, y0 = jnp.asarray(0.7), jnp.array([2.0])
    exact_k = -np.sum(ts * 2.0 * np.exp(-0.7 * ts))
    exact_y = np.sum(np.exp(-0.7 * ts))
    for adjoint in (BacksolveAdjoint(), CheckpointAdjoint()):
        gk, gy = jax.grad(loss, argnums=(0, 1))(k, y0, adjoint)
        np.testing.assert_allclose(gk, exact_k, rtol=1e-7)
        np.testing.assert_allclose(gy[0], exact_y, rtol=1e-7)


@pytest.mark.slow
def test_vmap_of_grad_and_grad_of_vmap():
    loss = _loss("tsit5", rtol=1e-8)
    ps = jnp.stack([P0, P0 * 1.01])
    per_member = jax.vmap(jax.grad(loss), in_axes=(0, None))(ps, Y0)
    summed = jax.grad(lambda ps: jnp.sum(jax.vmap(loss, in_axes=(0, None))(ps, Y0)))(ps)
    np.testing.assert_allclose(summed, per_member, rtol=1e-10)
    np.testing.assert_allclose(per_member[0], jax.grad(loss)(P0, Y0), rtol=1e-10)


@pytest.mark.slow
def test_kvaerno5_newton_steps_differentiate_by_the_implicit_function_theorem():
    """The adjoint agrees with forward mode (to 3e-7: forward mode differentiates the
    Newton iterations as run, the adjoint by the implicit function theorem); against central differences the comparison is
    norm-wise: differences of an adaptive solve at rtol 1e-10 with h = 1e-5 carry
    errors of order rtol/h = 1e-5 relative to the gradient's size, which swamp a
    component 20x smaller than the largest (measured: 2e-6 absolute on -0.0556)."""
    loss = _loss("kvaerno5", rtol=1e-10)
    gp = jax.grad(loss)(P0, Y0)
    np.testing.assert_allclose(gp, jax.jacfwd(loss)(P0, Y0), rtol=1e-5)
    scale = float(jnp.max(jnp.abs(gp)))
    np.testing.assert_allclose(gp, _central(lambda p: loss(p, Y0), P0), rtol=1e-5,
                               atol=1e-5 * scale)


def test_vmap_of_grad_of_decay_matches_exact():
    """Batched gradients (the vmap variant of the adjoint): d y(1)/dk = -y0 exp(-k)."""
    ts = jnp.array([0.0, 1.0])

    def final(k):
        return integrate(lambda t, y, k: -k * y, jnp.ones(1), ts, k, rtol=1e-10,
                         atol=1e-12, adjoint=CheckpointAdjoint()).ys[-1, 0]

    ks = jnp.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(jax.vmap(jax.grad(final))(ks), -np.exp(-ks), rtol=1e-8)


@pytest.mark.parametrize("method", [
    "etdrk4",
    # ~25 s of compilation (the discrete adjoint of its three-branch switch)
    pytest.param("etdab4", marks=pytest.mark.slow)])
def test_grad_through_an_exponential_integrator(method):
    """etdrk4 and the multistep etdab4 (whose history rows the adjoint carries) on a split
    ``f = L y + N(y)``: the discrete adjoint equals forward mode and central differences
    (the loss is smooth in ``L``, ``N`` parameters and ``y0``; the output at 0.33 is
    off the step grid, so etdab4 also takes its variable-node steps)."""
    from modelc.solvers import Split

    def nonlinear(t, y, p):
        return jnp.stack([p[1] * jnp.sin(y[1]), p[1] * y[0] ** 2])

    def rhs(t, y, p):
        return -jnp.array([p[0], 3.0]) * y + nonlinear(t, y, p)

    split = Split("diagonal", lambda t, p: -jnp.array([p[0], 3.0]), nonlinear)
    ts = jnp.array([0.0, 0.25, 0.33, 0.75, 1.0])

    def loss(p, y0, adjoint=CheckpointAdjoint()):
        ys = integrate(rhs, y0, ts, p, method=method, dt0=0.05, split=split,
                       adjoint=adjoint).ys
        return jnp.sum(ys[1:] ** 2)

    p0, y0 = jnp.array([2.0, 0.5]), jnp.array([1.0, 0.5])
    gp, gy = jax.grad(loss, argnums=(0, 1))(p0, y0)
    fp, fy = jax.jacfwd(loss, argnums=(0, 1))(p0, y0)
    sp, sy = jax.grad(loss, argnums=(0, 1))(p0, y0, ForwardAdjoint())
    np.testing.assert_allclose(gp, fp, rtol=1e-10)
    np.testing.assert_allclose(gy, fy, rtol=1e-10)
    np.testing.assert_allclose(sp, gp, rtol=1e-10)
    np.testing.assert_allclose(sy, gy, rtol=1e-10)
    np.testing.assert_allclose(gp, _central(lambda p: loss(p, y0), p0), rtol=1e-6)
    np.testing.assert_allclose(gy, _central(lambda y: loss(p0, y), y0), rtol=1e-6)


@pytest.mark.slow
def test_grad_of_vmapped_ensemble_with_different_step_counts():
    """grad of a summed vmapped ensemble (members take different numbers of steps and
    segments: one checkpoint every 8 attempts) equals each member's own gradient, and
    forward mode."""
    ts = jnp.linspace(0.0, 1.0, 4)

    def final(p, adjoint=CheckpointAdjoint(checkpoints=2000)):
        ys = integrate(lorenz, Y0, ts, p, rtol=1e-9, atol=1e-9, max_steps=16_000,
                       adjoint=adjoint).ys
        return jnp.sum(ys[1:, 0] + ys[-1] ** 2 / 100)

    ps = jnp.stack([P0, P0.at[1].set(5.0), P0.at[0].set(30.0)])  # very different step counts
    steps = jax.vmap(lambda p: integrate(lorenz, Y0, ts, p, rtol=1e-9, atol=1e-9).steps)(ps)
    assert len(set(np.asarray(steps).tolist())) == 3 and int(steps.min()) > 8
    batched = jax.jit(jax.grad(lambda ps: jnp.sum(jax.vmap(final)(ps))))(ps)
    single = np.stack([jax.grad(final)(p) for p in ps])
    np.testing.assert_allclose(batched, single, rtol=1e-8)  # vmap fuses differently
    np.testing.assert_allclose(batched, jax.vmap(jax.jacfwd(final))(ps), rtol=1e-8)


def test_grad_with_many_outputs_and_backward_time():
    """Outputs at many points (several per step) and a decreasing time grid:
    the discrete adjoint equals forward mode and the exact derivative of y' = -k y."""
    ts = jnp.linspace(2.0, 0.0, 401)

    def loss(k, y0):
        ys = integrate(lambda t, y, k: -k * y, y0, ts, k, rtol=1e-10, atol=1e-12,
                       adjoint=CheckpointAdjoint()).ys
        return jnp.sum(ys[:, 0] * jnp.cos(ts))

    k, y0 = jnp.asarray(0.7), jnp.array([2.0])
    gk, gy = jax.grad(loss, argnums=(0, 1))(k, y0)
    fk, fy = jax.jacfwd(loss, argnums=(0, 1))(k, y0)
    np.testing.assert_allclose(gk, fk, rtol=1e-10)
    np.testing.assert_allclose(gy, fy, rtol=1e-10)
    dt = ts - ts[0]  # y = y0 exp(k (2 - t)) backwards from t = 2
    np.testing.assert_allclose(gk, np.sum(-dt * 2.0 * np.exp(-0.7 * dt) * np.cos(ts)), rtol=1e-7)
    np.testing.assert_allclose(gy[0], np.sum(np.exp(-0.7 * dt) * np.cos(ts)), rtol=1e-7)


# --- forward sensitivities and the automatic choice -------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("method", ["tsit5", "rodas5"])
def test_forward_adjoint_equals_discrete_adjoint_and_finite_differences(method):
    """W.r.t. parameters and initial state together, and each alone (then only the
    perturbed input gets tangent directions: the same numbers)."""
    loss = _loss(method, ForwardAdjoint())
    gp, gy = jax.jit(jax.grad(loss, argnums=(0, 1)))(P0, Y0)
    wp, wy = jax.jit(jax.grad(_loss(method), argnums=(0, 1)))(P0, Y0)
    np.testing.assert_allclose(gp, wp, rtol=1e-10)
    np.testing.assert_allclose(gy, wy, rtol=1e-10)
    np.testing.assert_allclose(gp, _central(lambda p: loss(p, Y0), P0), rtol=1e-6)
    np.testing.assert_allclose(gy, _central(lambda y: loss(P0, y), Y0), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(loss, argnums=0)(P0, Y0), gp, rtol=1e-12)
    np.testing.assert_allclose(jax.grad(loss, argnums=1)(P0, Y0), gy, rtol=1e-12)


def test_forward_adjoint_under_vmap_and_in_float32():
    """d y(1)/dk = -y0 exp(-k) for y' = -k y: the gradient of a summed vmapped
    ensemble (float64), and vmap of the gradient in float32."""
    ts = jnp.array([0.0, 0.5, 1.0])

    def final(k, dtype=jnp.float64):
        return integrate(lambda t, y, k: -k * y, jnp.ones(1, dtype), ts.astype(dtype), k,
                         rtol=1e-10 if dtype == jnp.float64 else 1e-5, atol=1e-10,
                         adjoint=ForwardAdjoint()).ys[-1, 0]

    ks = jnp.array([0.5, 1.0, 2.0])
    summed = jax.grad(lambda ks: jnp.sum(jax.vmap(final)(ks)))(ks)
    np.testing.assert_allclose(summed, -np.exp(-ks), rtol=1e-8)
    g32 = jax.vmap(jax.grad(lambda k: final(k, jnp.float32)))(ks.astype(jnp.float32))
    assert g32.dtype == jnp.float32
    np.testing.assert_allclose(g32, -np.exp(-ks), rtol=1e-4)


def test_automatic_adjoint_is_forward_for_few_perturbed_scalars():
    """``adjoint=None``: forward sensitivities up to FORWARD_MAX_PERTURBED perturbed
    scalars (only the differentiated inputs count), the discrete adjoint above (its
    transpose is the ``modelc_linear_map`` primitive in the gradient's jaxpr)."""
    assert choose_adjoint(FORWARD_MAX_PERTURBED) == ForwardAdjoint()
    assert choose_adjoint(FORWARD_MAX_PERTURBED + 1) == CheckpointAdjoint()
    n = FORWARD_MAX_PERTURBED + 1
    ts = jnp.array([0.0, 1.0])

    def loss(k, y0):
        return jnp.sum(integrate(lambda t, y, k: -k * y, y0, ts, k).ys[-1])

    def uses_discrete_adjoint(argnums):
        jaxpr = str(jax.make_jaxpr(jax.grad(loss, argnums=argnums))(0.5, jnp.ones(n)))
        return "modelc_linear_map" in jaxpr

    assert not uses_discrete_adjoint(0)  # k = 1: y0 (n scalars) not perturbed
    assert uses_discrete_adjoint(1)  # k = n
    assert uses_discrete_adjoint((0, 1))


@pytest.mark.parametrize("adjoint", [pytest.param(CheckpointAdjoint(), marks=pytest.mark.slow),
                                     BacksolveAdjoint(), ForwardAdjoint()],
                         ids=["checkpoint", "backsolve", "forward"])
def test_second_derivative_through_every_adjoint(adjoint):
    """y' = -k y, y(0) = 1: d^2 y(1)/dk^2 = e^{-k}, forward over reverse and forward over
    forward (the adjoints' linear map carries its residuals' tangents: it gave 0 before),
    with k a Python float (an args leaf without a dtype)."""
    def final(k):
        sol = integrate(lambda t, y, k: -k * y, jnp.array([1.0]), jnp.array([0.0, 1.0]), k,
                        method="tsit5", rtol=1e-11, atol=1e-12, adjoint=adjoint)
        return sol.ys[-1, 0]

    exact = np.exp(-0.7)
    np.testing.assert_allclose(jax.jacfwd(jax.grad(final))(0.7), exact, rtol=1e-8)
    np.testing.assert_allclose(jax.jacfwd(jax.jacfwd(final))(0.7), exact, rtol=1e-8)
