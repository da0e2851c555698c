"""Training problems built from compiled models, and the three-body sampler.

:func:`from_model` turns a :class:`~modelc.compiled.CompiledModel` and a
declared distribution (uniform ``ranges`` by name, or a sampler function)
into :class:`~modelc.rl.training.Episodes`; the accuracy measure is the
relative drift of an observable that the exact solution conserves
(``invariant="energy"``) or, without one, the RMS distance to a tight
reference solve (PI, ``rtol = 1e-12``).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ..solvers import integrate
from .training import Episodes

__all__ = ["from_model", "three_body_positions", "THREE_BODY_MASSES"]

THREE_BODY_MASSES = {"G": 1.0, "m1": 1.0, "m2": 1.0, "m3": 1.0}


def from_model(model, t1: float, *, ranges: dict | None = None, sampler=None,
               invariant: str | None = None, method: str = "tsit5",
               params: dict | None = None, y0: dict | None = None) -> Episodes:
    """Episodes of ``model`` from ``t = 0`` to ``t1``.

    Args:
        model: a compiled model (``modelc.load``).
        t1: final time of every episode.
        ranges: ``{name: (low, high)}`` uniform ranges of states and parameters.
        sampler: or ``sampler(rng, n) -> {name: array (n,)}`` (numpy Generator).
        invariant: name of a conserved observable; its relative drift is the error.
        method: the embedded RK method of the episodes.
        params, y0: fixed values by name for everything not sampled.
    """
    if (ranges is None) == (sampler is None):
        raise ValueError("give exactly one of ranges= or sampler= for the episodes")
    mod = model.module
    names = set(model.state_names) | set(model.param_names)
    draw = sampler or _uniform(ranges)

    def sample(rng, n):
        values = draw(rng, n)
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"model {model.name!r} has no state or parameter named "
                             f"{unknown[0]!r}")
        p_names = [k for k in values if k in model.param_names]
        ys, ps = [], []
        for i in range(n):
            pi = {**(params or {}), **{k: float(values[k][i]) for k in p_names}}
            yi = {**(y0 or {}), **{k: float(values[k][i]) for k in values if k not in p_names}}
            p = mod.parameter_vector(pi)
            ps.append(np.asarray(p))
            ys.append(np.asarray(mod.initial_state(p, yi)))
        return np.stack(ys), np.stack(ps)

    if invariant is not None:
        k = model.observable_names.index(invariant)

        def error(y0, y1, args):
            e0 = mod.observables(0.0, y0, args)[k]
            e1 = mod.observables(t1, y1, args)[k]
            return jnp.abs((e1 - e0) / jnp.where(e0 == 0, 1.0, e0))
    else:
        def error(y0, y1, args):
            ref = integrate(mod.rhs, y0, jnp.stack([0.0, t1]).astype(y0.dtype), args,
                            method="dopri8", rtol=1e-12, atol=1e-12)
            return jnp.sqrt(jnp.mean((y1 - ref.ys[-1]) ** 2 / (1e-12 + ref.ys[-1] ** 2)))

    return Episodes(mod.rhs, sample, error, float(t1), name=model.name, method=method)


def _uniform(ranges):
    def draw(rng, n):
        return {k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges.items()}
    return draw


def three_body_positions(rng, n):
    """Three equal masses at rest at uniform random positions in the unit square
    (for ``examples/three_body.model`` with :data:`THREE_BODY_MASSES`)."""
    pos = rng.uniform(0.0, 1.0, (n, 6))
    names = ("x1", "y1", "x2", "y2", "x3", "y3")
    out = {k: pos[:, i] for i, k in enumerate(names)}
    out.update({f"v{c}{j}": np.zeros(n) for j in (1, 2, 3) for c in "xy"})
    return out

