"""Sparse Jacobians of finite-difference grid models by compressed differentiation (issue 16).

A field model discretised by finite differences couples each grid point only to
the points of its stencil (and to the other fields at those points), but its
generated module has no symbolic Jacobian: without this module a stiff method
would build the dense ``n x n`` matrix by ``jax.jacfwd`` (``n`` Jacobian-vector
products; for Gray–Scott on 128^2 points, 32,768 unknowns, an 8.6 GB matrix).

`StencilJacobian` finds the coupling radius ``r`` instead and gives the Jacobian
as its nonzeros at a static pattern (a `modelc.solvers.sparse.SparseJacobianFunction`),
so the sparse Krylov path of `modelc.solvers.sparse` solves ``W x = b``:

* **pattern**: every pair (field, point) x (field, point') with ``point'`` within
  ``r`` of ``point`` along every axis (cyclically: a superset of the stencil on
  periodic and bounded axes alike);
* **colouring**: two columns whose points are more than ``2 r`` apart along some
  axis never meet in one row, so they may share a seed vector (`axis_colours`);
  ``(2 r + 1)^d`` colours per field instead of ``n`` columns;
* **values**: one ``jax.jvp`` per colour (vmapped), each entry read back at its
  row from the product of its column's colour (compressed Jacobian, Curtis,
  Powell and Reid 1974);
* **radius**: the smallest ``r`` in `RADII` for which the sparse matrix times a
  random vector equals the exact Jacobian-vector product at a perturbed initial
  state (a coupling outside the pattern makes them differ). A model that fits
  none (``integral`` in an equation, spectral axes, scalar states, more than
  `MAX_COLOURS` colours) keeps the dense ``jax.jacfwd``.

The search runs once per model, at the first trace of a stiff method (the
explicit methods never ask for a Jacobian), on concrete values.
"""

from __future__ import annotations

import itertools
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .sparse import SparseJacobianFunction

__all__ = ["StencilJacobian", "stencil_jacobian", "axis_colours", "stencil_pattern", "RADII",
           "MAX_COLOURS"]

RADII = (1, 2, 3, 4)
"""Coupling radii tried, in order: centred stencils of order 2 need 1 (periodic axes),
the ghost-point closures of bounded axes 2 (order 2) and 4 (order 4)."""
MAX_COLOURS = 400
"""Most seed vectors (``jvp``s per Jacobian) before the dense ``jacfwd`` is kept."""
PROBE_RTOL = 1e-8
"""Agreement of the sparse and exact Jacobian-vector products that accepts a radius."""


def axis_colours(points: int, radius: int) -> tuple[np.ndarray, int]:
    """``(colour of each index, number of colours)`` on an axis of ``points`` nodes such
    that indices within cyclic distance ``2 radius`` have different colours.

    ``index % k`` with the smallest ``k >= 2 radius + 1`` that divides ``points``
    (below ``2 (2 radius + 1)``); otherwise ``index % (2 radius + 1)`` with the last
    ``points % (2 radius + 1)`` indices given colours of their own (so that the
    wrap-around never joins two equal colours)."""
    span = 2 * radius + 1
    index = np.arange(points)
    if points <= span:
        return index, points
    divisors = [k for k in range(span, 2 * span) if points % k == 0]
    if divisors:
        return index % divisors[0], divisors[0]
    main = points - points % span
    colours = np.where(index < main, index % span, span + index - main)
    return colours, span + points - main


def stencil_pattern(shape: tuple[int, ...], fields: int, radius: int):
    """``(rows, cols, column colours, colour count)`` for ``fields`` fields on a grid of
    ``shape`` (the state is field after field, each raveled in C order) coupled within
    ``radius`` along every axis (cyclically; each pair listed once)."""
    axes = [axis_colours(points, radius) for points in shape]
    counts = tuple(count for _, count in axes)
    grid_colour = np.ravel_multi_index(np.meshgrid(*[c for c, _ in axes], indexing="ij"),
                                       counts).ravel()
    size = int(np.prod(shape))
    points = np.stack(np.unravel_index(np.arange(size), shape), axis=1)          # (size, d)
    offsets = np.array(list(itertools.product(range(-radius, radius + 1), repeat=len(shape))))
    near = np.ravel_multi_index(((points[:, None, :] + offsets[None]) % np.array(shape)).T,
                                shape).T                                         # (size, offsets)
    near = np.sort(near, axis=1)
    keep = np.concatenate([np.ones((size, 1), bool), near[:, 1:] != near[:, :-1]], axis=1)
    row_point = np.broadcast_to(np.arange(size)[:, None], near.shape)[keep]
    col_point = near[keep]
    blocks = [(f * size + row_point, g * size + col_point)
              for f in range(fields) for g in range(fields)]
    rows = np.concatenate([r for r, _ in blocks])
    cols = np.concatenate([c for _, c in blocks])
    n_grid = int(np.prod(counts))
    colour = np.concatenate([g * n_grid + grid_colour for g in range(fields)])
    return rows, cols, colour, fields * n_grid


def compressed_values(f: Callable, rows, cols, colour, count: int) -> Callable:
    """``values(t, y, args)``: the Jacobian of ``f`` in ``y`` at ``(rows, cols)``, from one
    ``jvp`` per colour (valid when no row couples two columns of one colour)."""
    rows, cols, colour = (jnp.asarray(a, jnp.int32) for a in (rows, cols, colour))

    def values(t, y, args):
        seeds = (colour[None, :] == jnp.arange(count)[:, None]).astype(y.dtype)

        def product(seed):
            return jax.jvp(lambda u: f(t, u, args), (y,), (seed,))[1]

        compressed = jax.vmap(product)(seeds)                      # (count, n)
        return compressed[colour[cols], rows]

    return values


class StencilJacobian:
    """The Jacobian of a finite-difference grid model's ``rhs``: called, the dense matrix;
    `resolve` gives the `SparseJacobianFunction` of the smallest radius in `RADII` that
    holds (None: keep ``jax.jacfwd``). ``probe()`` gives concrete ``(t, y, args)``."""

    def __init__(self, rhs: Callable, shape: tuple[int, ...], fields: int, probe: Callable):
        self.rhs = rhs
        self.shape = tuple(shape)
        self.fields = int(fields)
        self.probe = probe
        self._resolved = None
        self.radius = None   # the radius found (None before `resolve` or when none fits)

    def __call__(self, t, y, args):
        found = self.resolve()
        if found is None:
            return jax.jacfwd(self.rhs, argnums=1)(t, y, args)
        return found(t, y, args)

    def resolve(self) -> SparseJacobianFunction | None:
        """The sparse Jacobian function (searched once, on concrete values), or None."""
        if self._resolved is None:
            with jax.ensure_compile_time_eval():
                self._resolved = (self._search(),)
        return self._resolved[0]

    def _search(self) -> SparseJacobianFunction | None:
        t, y, args = self.probe()
        rng = np.random.default_rng(16)
        n = int(np.size(y))
        y = np.asarray(y, dtype=float)
        y = y + 0.1 * (np.abs(y) + 0.1) * rng.uniform(-1.0, 1.0, n)   # away from symmetric data
        v = rng.standard_normal(n)
        exact = np.asarray(jax.jvp(lambda u: self.rhs(t, u, args), (jnp.asarray(y),),
                                   (jnp.asarray(v),))[1])
        if not np.all(np.isfinite(exact)):
            return None
        for radius in RADII:
            rows, cols, colour, count = stencil_pattern(self.shape, self.fields, radius)
            if count > MAX_COLOURS:
                return None
            values = compressed_values(self.rhs, rows, cols, colour, count)
            found = np.asarray(jax.jit(values)(t, jnp.asarray(y), args))
            terms = found * v[cols]
            product = np.bincount(rows, terms, minlength=n)
            bound = np.bincount(rows, np.abs(terms), minlength=n) + np.abs(exact)
            if np.all(np.abs(product - exact) <= PROBE_RTOL * bound + 1e-300):
                self.radius = radius
                dense = _dense_from(values, rows, cols, n)
                return SparseJacobianFunction(dense, values, rows, cols, n)
        return None


def _dense_from(values: Callable, rows, cols, n: int) -> Callable:
    """``jac(t, y, args) -> (n, n)`` from the nonzeros ``values`` at ``(rows, cols)``."""
    rows, cols = jnp.asarray(rows), jnp.asarray(cols)

    def dense(t, y, args):
        vals = values(t, y, args)
        return jnp.zeros((n, n), vals.dtype).at[rows, cols].add(vals)

    return dense


def stencil_jacobian(module) -> StencilJacobian | None:
    """A `StencilJacobian` for a generated field module whose state is only real fields on
    one grid with a finite-difference (banded) or no linear part, and no externals; else
    None (spectral axes, scalar states, complex fields: the dense ``jacfwd`` stays)."""
    layout = getattr(module, "STATE_LAYOUT", None)
    shape = tuple(getattr(module, "GRID_SHAPE", ()))
    if (not layout or not shape or hasattr(module, "jacobian")
            or getattr(module, "LINEAR_KIND", None) not in (None, "banded")
            or getattr(module, "EXTERNAL_NAMES", ())
            or any(tuple(s) != shape or cplx for _, s, cplx in layout.values())):
        return None

    def probe():
        p = module.parameter_vector({})
        return jnp.asarray(0.0, p.dtype), module.initial_state(p, {}), p

    return StencilJacobian(module.rhs, shape, len(layout), probe)
