"""Gradient time against the number ``k`` of differentiated scalars: forward
sensitivities (``ForwardAdjoint``) vs the discrete adjoint (``CheckpointAdjoint``).

Run with ``python benchmarks/adjoint_crossover.py [--pairs 5] [--members 1000]``.

* Lorenz ensemble (``--members`` members under ``vmap``, Tsit5, rtol 1e-6,
  t = 0..10): gradient of the sum of final states with respect to ``k``
  scalars per member: ``rho`` (k = 1), ``rho`` plus ``k - 1`` extra
  parameters that move ``sigma`` (each ``sigma = 10 + 0.01 sum(extra)``).
* One 64-state linear ODE ``y' = A y + W q`` (Tsit5, rtol 1e-8, t = 0..5),
  gradient w.r.t. ``q`` of ``k`` entries, and w.r.t. ``y0`` (k = 64).

Each row prints ``time(ForwardAdjoint gradient) / time(CheckpointAdjoint
gradient)``, the median over ``--pairs`` interleaved pairs (the machine may be
loaded); below 1 forward sensitivities win.  ``FORWARD_MAX_PERTURBED`` in
modelc/solvers/adjoint.py is set from this crossover.
"""

from __future__ import annotations

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from modelc.solvers import integrate
from modelc.solvers.adjoint import CheckpointAdjoint, ForwardAdjoint
from timing import run_pairs

ADJOINTS = (ForwardAdjoint(), CheckpointAdjoint())


def lorenz_grads(k: int, members: int):
    """Jitted gradients (forward, checkpoint) of the Lorenz ensemble loss in ``k`` scalars."""
    ts = jnp.linspace(0.0, 10.0, 11)

    def rhs(t, u, q):
        sigma = 10.0 + 0.01 * jnp.sum(q[1:])
        x, y, z = u[0], u[1], u[2]
        return jnp.stack([sigma * (y - x), x * (q[0] - z) - y, x * y - 8.0 / 3.0 * z])

    def grad(adjoint):
        def final(q):
            ys = integrate(rhs, jnp.ones(3), ts, q, rtol=1e-6, atol=1e-6, adjoint=adjoint).ys
            return jnp.sum(ys[-1])
        return jax.jit(jax.grad(lambda qs: jnp.sum(jax.vmap(final)(qs))))

    qs = jnp.concatenate([jnp.linspace(20.0, 30.0, members)[:, None],
                          jnp.zeros((members, k - 1))], axis=1)
    return [(lambda g=grad(a): g(qs)) for a in ADJOINTS]


def linear_grads(k: int | None, n: int = 64):
    """Gradients (forward, checkpoint) for the linear ODE w.r.t. ``k`` entries of ``q``
    (``k = None``: w.r.t. ``y0``)."""
    rng = np.random.default_rng(0)
    a = jnp.asarray(-np.eye(n) + 0.3 * rng.standard_normal((n, n)) / np.sqrt(n))
    w = jnp.asarray(rng.standard_normal((n, max(k or 1, 1))) / n)
    ts = jnp.linspace(0.0, 5.0, 11)

    def grad(adjoint):
        def loss(q, y0):
            ys = integrate(lambda t, y, q: a @ y + w @ q, y0, ts, q, rtol=1e-8, atol=1e-8,
                           adjoint=adjoint).ys
            return jnp.sum(ys[-1] ** 2)
        return jax.jit(jax.grad(loss, argnums=1 if k is None else 0))

    q, y0 = jnp.ones(w.shape[1]), jnp.ones(n)
    return [(lambda g=grad(a): g(q, y0)) for a in ADJOINTS]


def row(label: str, fns, pairs: int) -> None:
    fwd, ck = fns
    a, b = jax.block_until_ready(fwd()), jax.block_until_ready(ck())  # compile
    err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))
    ratio, tf, tc = run_pairs(fwd, ck, pairs)
    print(f"  {label:16s} forward {tf * 1e3:9.1f} ms  checkpoint {tc * 1e3:9.1f} ms  "
          f"ratio {ratio:5.2f}   (max rel. difference {err:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--ks", default="1,3,6,12,24")
    parser.add_argument("--linear-ks", default="1,4,8,16,32")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, backend {jax.default_backend()}; "
          "time ratio ForwardAdjoint / CheckpointAdjoint (< 1: forward wins)")
    print(f"Lorenz ensemble, {args.members} members (vmap), k scalars per member")
    for k in map(int, args.ks.split(",")):
        row(f"k = {k}", lorenz_grads(k, args.members), args.pairs)
    print("64-state linear ODE, one solve")
    for k in map(int, args.linear_ks.split(",")):
        row(f"q, k = {k}", linear_grads(k), args.pairs)
    row("y0, k = 64", linear_grads(None), args.pairs)


if __name__ == "__main__":
    main()
