"""Sparse Jacobians of finite-difference grid models by compressed differentiation (issue 16).

A field model discretised by finite differences couples each grid point only to
the points of its stencil (and to the other fields at those points), but its
generated module has no symbolic Jacobian: without this module a stiff method
would build the dense ``n x n`` matrix by ``jax.jacfwd`` (``n`` Jacobian-vector
products; for Gray–Scott on 128^2 points, 32,768 unknowns, an 8.6 GB matrix).

`StencilJacobian` finds the coupling radius ``r`` instead and gives the Jacobian
as its nonzeros at a static pattern (a `StencilJacobianFunction`, which is a
`modelc.solvers.sparse.SparseJacobianFunction`), so the sparse Krylov path of
`modelc.solvers.sparse` solves ``W x = b``:

* **pattern** (`StencilPattern`, ELL form: the same number of entries in every
  row, column indices computed in the program): every pair (field, point) x
  (field, point') with ``point'`` within ``r`` of ``point`` along every axis
  (cyclically: a superset of the stencil on periodic and bounded axes alike);
* **colouring**: two columns whose points are more than ``2 r`` apart along some
  axis never meet in one row, so they may share a seed vector (`axis_colours`);
  ``(2 r + 1)^d`` colours per field instead of ``n`` columns;
* **values**: one ``jax.jvp`` per colour (vmapped), each entry read back at its
  row from the product of its column's colour (compressed Jacobian, Curtis,
  Powell and Reid 1974);
* **radius**: the smallest ``r`` in `RADII` for which the sparse matrix times a
  random vector equals the exact Jacobian-vector product at a perturbed initial
  state (a coupling outside the pattern makes them differ). A model that fits
  none (``integral`` in an equation, an axis shorter than ``2 r + 1``, more than
  `MAX_COLOURS` colours) keeps the dense ``jax.jacfwd``; `stencil_jacobian` offers
  none to spectral, complex, scalar-state or external models.

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

__all__ = ["StencilJacobian", "StencilJacobianFunction", "StencilPattern", "stencil_jacobian",
           "axis_colours", "RADII", "MAX_COLOURS"]

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


class StencilPattern:
    """The pattern of a stencil Jacobian in ELL form: every one of the ``n`` rows holds
    ``width`` entries, one per (field, offset) with ``offset`` in ``[-radius, radius]^d``,
    the column of (field g, point p + offset) (cyclically). Column indices and colours
    are built inside the traced program from an iota (as constants they made the
    program of a 128^2 grid 20 MB of text and its XLA compile twice as long).
    Compared and hashed by identity (static data of traced functions). Every axis needs
    at least ``2 radius + 1`` points (no column twice in a row)."""

    def __init__(self, shape: tuple[int, ...], fields: int, radius: int):
        self.shape, self.fields, self.radius = tuple(shape), int(fields), int(radius)
        self.size = int(np.prod(self.shape))
        self.n = self.fields * self.size
        self.offsets = np.array(list(itertools.product(range(-radius, radius + 1),
                                                       repeat=len(self.shape))), dtype=np.int32)
        self.width = self.fields * len(self.offsets)
        self.centre = len(self.offsets) // 2             # the zero offset
        axes = [axis_colours(points, radius) for points in self.shape]
        self.axis_colours = [c.astype(np.int32) for c, _ in axes]
        self.grid_colours = int(np.prod([count for _, count in axes]))
        self.count = self.fields * self.grid_colours    # seed vectors

    def _neighbours(self):
        """``(size, offsets)`` grid indices of each point's neighbours, and their colours."""
        coords = jnp.unravel_index(jnp.arange(self.size, dtype=jnp.int32), self.shape)
        index = jnp.zeros((self.size, len(self.offsets)), jnp.int32)
        colour = jnp.zeros_like(index)
        for axis, points in enumerate(self.shape):
            q = (coords[axis][:, None] + jnp.asarray(self.offsets[:, axis])[None]) % points
            index = index * points + q
            count = int(self.axis_colours[axis].max()) + 1 if points else 1
            colour = colour * count + jnp.asarray(self.axis_colours[axis])[q]
        return index, colour

    def columns(self):
        """``(cols, colours)``, each ``(n, width)``: the column of every entry and its colour."""
        index, colour = self._neighbours()
        cols = jnp.concatenate([g * self.size + index for g in range(self.fields)], axis=1)
        colours = jnp.concatenate([g * self.grid_colours + colour for g in range(self.fields)], axis=1)
        return jnp.tile(cols, (self.fields, 1)), jnp.tile(colours, (self.fields, 1))

    def column_colours(self):
        """The colour of each of the ``n`` columns (its entry at offset zero)."""
        _, colours = self.columns()
        rows = jnp.arange(self.n)
        return colours[rows, (rows // self.size) * len(self.offsets) + self.centre]

    def matvec(self, values, x):
        """``A x`` for the matrix with ``values`` (``(n, width)``) at this pattern."""
        cols, _ = self.columns()
        return jnp.sum(values * x[cols], axis=1)

    def diag(self, values):
        """The diagonal of the matrix with ``values`` at this pattern."""
        rows = jnp.arange(self.n)
        return values[rows, (rows // self.size) * len(self.offsets) + self.centre]

    def dense(self, values):
        """The dense matrix (small systems, tests)."""
        cols, _ = self.columns()
        rows = jnp.broadcast_to(jnp.arange(self.n)[:, None], cols.shape)
        return jnp.zeros((self.n, self.n), values.dtype).at[rows, cols].add(values)


def compressed_values(f: Callable, pattern: StencilPattern) -> Callable:
    """``values(t, y, args) -> (n, width)``: the Jacobian of ``f`` in ``y`` at ``pattern``,
    from one ``jvp`` per colour (valid when no row couples two columns of one colour)."""

    def values(t, y, args):
        seeds = (pattern.column_colours()[None, :]
                 == jnp.arange(pattern.count)[:, None]).astype(y.dtype)

        def product(seed):
            return jax.jvp(lambda u: f(t, u, args), (y,), (seed,))[1]

        compressed = jax.vmap(product)(seeds)                      # (count, n)
        _, colours = pattern.columns()
        return compressed[colours, jnp.arange(pattern.n)[:, None]]

    return values


class StencilJacobianFunction(SparseJacobianFunction):
    """A `SparseJacobianFunction` at a `StencilPattern` (the nonzeros as ``(n, width)``)."""

    def __init__(self, values: Callable, pattern: StencilPattern):
        self.values = values
        self.pattern = pattern
        self.dense = lambda t, y, args: pattern.dense(values(t, y, args))  # noqa: E731


class StencilJacobian:
    """The Jacobian of a finite-difference grid model's ``rhs``: called, the dense matrix;
    `resolve` gives the `StencilJacobianFunction` of the smallest radius in `RADII` that
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

    def resolve(self) -> StencilJacobianFunction | None:
        """The sparse Jacobian function (searched once, on concrete values), or None."""
        if self._resolved is None:
            with jax.ensure_compile_time_eval():
                self._resolved = (self._search(),)
        return self._resolved[0]

    def _search(self) -> StencilJacobianFunction | None:
        t, y, args = jax.jit(self.probe)()      # compiled: op by op took ~1 s on 32^2
        rng = np.random.default_rng(16)
        n = int(np.size(y))
        y = np.asarray(y, dtype=float)
        y = jnp.asarray(y + 0.1 * (np.abs(y) + 0.1) * rng.uniform(-1.0, 1.0, n))  # off symmetry
        v = rng.standard_normal(n)
        for radius in RADII:
            if min(self.shape) < 2 * radius + 1:
                return None
            pattern = StencilPattern(self.shape, self.fields, radius)
            if pattern.count > MAX_COLOURS:
                return None
            values = compressed_values(self.rhs, pattern)
            found, cols, exact = (np.asarray(a) for a in jax.jit(
                lambda t, y, a, w: (values(t, y, a), pattern.columns()[0],
                                    jax.jvp(lambda u: self.rhs(t, u, a), (y,), (w,))[1]))(
                t, y, args, jnp.asarray(v, y.dtype)))
            if not np.all(np.isfinite(exact)):
                return None
            terms = found * v[cols]
            bound = np.abs(terms).sum(axis=1) + np.abs(exact)
            if np.all(np.abs(terms.sum(axis=1) - exact) <= PROBE_RTOL * bound + 1e-300):
                self.radius = radius
                return StencilJacobianFunction(values, pattern)
        return None


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
