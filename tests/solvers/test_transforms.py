"""jit / vmap / jacfwd / float32 / backward integration."""

import jax
import jax.numpy as jnp
import numpy as np

from modelc.solvers import integrate

from problems import LORENZ_P, decay, lorenz

TS = jnp.linspace(0.0, 1.0, 11)


def _solve(y0, args, ts=TS, method="tsit5"):
    return integrate(decay, y0, ts, args, method=method, rtol=1e-10, atol=1e-12).ys


def test_jit_matches_eager():
    y0, args = jnp.array([1.0, 2.0]), jnp.array([0.7])
    np.testing.assert_array_equal(jax.jit(_solve)(y0, args), _solve(y0, args))
    np.testing.assert_allclose(_solve(y0, args), np.exp(-0.7 * np.asarray(TS))[:, None] * [1, 2],
                               rtol=1e-9)


def test_jit_traced_tolerances():
    f = jax.jit(lambda rtol: integrate(decay, jnp.ones(2), TS, jnp.array([1.0]), rtol=rtol,
                                       atol=rtol).nfe)
    assert int(f(1e-4)) < int(f(1e-10))


def test_vmap_over_y0_args_ts_equals_loop():
    y0s = jnp.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    ks = jnp.array([[0.3], [1.0], [2.5]])
    tss = jnp.stack([TS, 2 * TS, 0.5 * TS])
    batched = jax.vmap(_solve)(y0s, ks, tss)
    for i in range(3):
        np.testing.assert_allclose(batched[i], _solve(y0s[i], ks[i], tss[i]), rtol=1e-12,
                                   atol=1e-14)


def test_vmap_lorenz_parameters():
    ps = jnp.asarray(LORENZ_P)[None] * jnp.array([[1.0], [1.05]])
    f = lambda p: integrate(lorenz, jnp.ones(3), TS, p, rtol=1e-8, atol=1e-8).ys  # noqa: E731
    out = jax.vmap(f)(ps)
    for i in range(2):
        np.testing.assert_allclose(out[i], f(ps[i]), rtol=1e-10, atol=1e-10)


def test_jacfwd_matches_finite_differences():
    p0 = jnp.asarray(LORENZ_P)
    y0 = jnp.array([1.0, 1.0, 1.0])

    def final(p, y0):
        return integrate(lorenz, y0, jnp.array([0.0, 0.5]), p, rtol=1e-11, atol=1e-11).ys[-1]

    jp, jy = jax.jacfwd(final, argnums=(0, 1))(p0, y0)
    eps = 1e-6
    for i in range(3):
        e = jnp.zeros(3).at[i].set(eps)
        fd_p = (final(p0 + e, y0) - final(p0 - e, y0)) / (2 * eps)
        fd_y = (final(p0, y0 + e) - final(p0, y0 - e)) / (2 * eps)
        np.testing.assert_allclose(jp[:, i], fd_p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(jy[:, i], fd_y, rtol=1e-5, atol=1e-6)


def test_float32():
    y0 = jnp.array([1.0, 2.0], dtype=jnp.float32)
    sol = integrate(decay, y0, TS.astype(jnp.float32), jnp.array([0.7], jnp.float32),
                    rtol=1e-5, atol=1e-6)
    assert sol.ys.dtype == jnp.float32 and int(sol.status) == 0
    np.testing.assert_allclose(sol.ys, np.exp(-0.7 * np.asarray(TS))[:, None] * [1, 2],
                               rtol=1e-4)


def test_backward_integration():
    ts = jnp.linspace(1.0, 0.0, 11)
    for method in ["tsit5"]:
        sol = integrate(decay, jnp.array([1.0]), ts, jnp.array([1.0]), method=method,
                        rtol=1e-10, atol=1e-12)
        assert int(sol.status) == 0
        np.testing.assert_allclose(sol.ys[:, 0], np.exp(1.0 - np.asarray(ts)), rtol=1e-8)
    sol = jax.jit(lambda ts: integrate(decay, jnp.array([1.0]), ts, jnp.array([1.0]),
                                       method="rk4", dt0=0.01))(ts)
    np.testing.assert_allclose(sol.ys[:, 0], np.exp(1.0 - np.asarray(ts)), rtol=1e-8)
