"""Test problems with known solutions (shared by the solver tests)."""

import jax.numpy as jnp
import numpy as np


def rotation(t, y, args):
    """Rotation with time-varying frequency: y = (cos phi, -sin phi), phi = t + t^2/2."""
    w = 1.0 + t
    return jnp.stack([w * y[1], -w * y[0]])


def rotation_exact(t):
    """Exact solution of :func:`rotation` from y(0) = (1, 0)."""
    t = np.asarray(t, dtype=float)
    phi = t + t * t / 2
    return np.stack([np.cos(phi), -np.sin(phi)], axis=-1)


def decay(t, y, args):
    """y' = -k y with k = args[0] (vector state, per-component scaling args[1:])."""
    return -args[0] * y


def lorenz(t, y, p):
    """Lorenz system; p = (sigma, rho, beta)."""
    s, r, b = p[0], p[1], p[2]
    return jnp.stack([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])


LORENZ_P = np.array([10.0, 28.0, 8.0 / 3.0])


# ----------------------------------------------------------------- stiff problems
ROBERTSON_K = np.array([0.04, 3e7, 1e4])


def robertson(t, y, k):
    """Robertson's chemical kinetics; k = (k1, k2, k3)."""
    r1, r2, r3 = k[0] * y[0], k[1] * y[1] * y[1], k[2] * y[1] * y[2]
    return jnp.stack([-r1 + r3, r1 - r2 - r3, r2])


def robertson_jac(t, y, k):
    """Analytic Jacobian of :func:`robertson`."""
    z = jnp.zeros_like(y[0])
    return jnp.stack([
        jnp.stack([-k[0] + z, k[2] * y[2], k[2] * y[1]]),
        jnp.stack([k[0] + z, -k[2] * y[2] - 2 * k[1] * y[1], -k[2] * y[1]]),
        jnp.stack([z, 2 * k[1] * y[1], z]),
    ])


def robertson_np(t, y):
    """NumPy version of :func:`robertson` for SciPy references."""
    k1, k2, k3 = ROBERTSON_K
    return [-k1 * y[0] + k3 * y[1] * y[2], k1 * y[0] - k3 * y[1] * y[2] - k2 * y[1] ** 2,
            k2 * y[1] ** 2]


def robertson_jac_np(t, y):
    k1, k2, k3 = ROBERTSON_K
    return [[-k1, k3 * y[2], k3 * y[1]], [k1, -k3 * y[2] - 2 * k2 * y[1], -k3 * y[1]],
            [0.0, 2 * k2 * y[1], 0.0]]


def van_der_pol(t, y, mu):
    """Van der Pol oscillator y'' = mu (1 - y^2) y' - y as a first order system
    (MATLAB's vdp1000 for mu = 1000: relaxation oscillations of period ~1614)."""
    return jnp.stack([y[1], mu * (1 - y[0] ** 2) * y[1] - y[0]])


# Linear stiff system y' = A y, A = V diag(-1, -1e4) V^-1 (non-normal): the stiff
# mode is excited by y0 and the exact solution is V exp(D t) V^-1 y0.
STIFF_V = np.array([[1.0, 1.0], [1.0, -2.0]])
STIFF_D = np.array([-1.0, -1e4])
STIFF_A = STIFF_V @ np.diag(STIFF_D) @ np.linalg.inv(STIFF_V)


def stiff_linear(t, y, a):
    return a @ y


def stiff_linear_exact(t, y0):
    c = np.linalg.solve(STIFF_V, np.asarray(y0))
    return STIFF_V @ (np.exp(STIFF_D * t) * c)


def prothero_robinson(t, y, lam):
    """y' = -lam (y - sin t) + cos t: non-autonomous, exact solution sin t from y(0) = 0."""
    return -lam * (y - jnp.sin(t)) + jnp.cos(t)
