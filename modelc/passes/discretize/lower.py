"""Replace ``diff``, ``laplacian`` and ``integral`` by discrete operators.

* A periodic spectral axis: `SpectralDiff` (Fourier pseudo-spectral; the
  Laplacian of an all-spectral grid is one `SpectralLaplacian`).
* A finite-difference axis (bounded or periodic): `StencilDiff` of the
  operand evaluated on fields padded with ghost points (`Grid.pad_symbol`),
  derivative orders 1 and 2, centred stencils of order 2 or 4.
* A flux ``diff(F, x)`` whose ``F`` itself differentiates along ``x`` (as in
  ``diff(D*n*diff(c, x), x)``) is discretised in conservative form: ``F`` is
  evaluated at the cell faces (`Face`, `FaceDiff`) and differenced
  (`FluxDiv`), so that zero-flux boundaries conserve the trapezoidal mass to
  round-off. The flux form is second order.
* On an fd axis declared ``upwind``, a term ``c * diff(u, x)`` of a sum (``u`` a
  field) becomes `Upwind`: first-order one-sided differences from the side the
  flow ``-c`` comes from.
* ``integral(e)`` becomes `GridIntegral` (rectangle rule on periodic axes,
  which is spectrally accurate, trapezoidal on bounded ones).
"""

from __future__ import annotations

import sympy

from ... import spatial
from ...errors import Span
from .context import Grid, fail

__all__ = ["lower_expr"]


def lower_expr(expr: sympy.Expr, grid: Grid, span: Span | None) -> sympy.Expr:
    """``expr`` with every spatial operator replaced by its discrete form on ``grid``."""
    if not expr.has(*spatial.SPATIAL_NODES):
        return expr
    if isinstance(expr, spatial.DomainIntegral):
        return spatial.GridIntegral(lower_expr(expr.args[0], grid, span))
    if isinstance(expr, spatial.Laplacian):
        return _laplacian(expr.args[0], grid, span)
    if isinstance(expr, spatial.Diff):
        return _diff(expr, grid, span)
    if isinstance(expr, sympy.Mul):
        upwind = _upwind_term(expr, grid, span)
        if upwind is not None:
            return upwind
    return expr.func(*(lower_expr(a, grid, span) for a in expr.args))


def _upwind_term(term: sympy.Expr, grid: Grid, span: Span | None) -> sympy.Expr | None:
    """``c * diff(u, x)`` as `Upwind` on an upwind axis, else None."""
    factors = sympy.Mul.make_args(term)
    for i, f in enumerate(factors):
        if isinstance(f, spatial.Diff) and int(f.args[2]) == 1 and grid.is_field(f.args[0]):
            domain = grid.domains[f.args[1].name]
            if domain.upwind:
                rest = sympy.Mul(*(factors[:i] + factors[i + 1:]))
                ghosts = domain.order // 2
                padded = grid.pad_symbol(f.args[0].name, domain.name, ghosts)
                return spatial.Upwind(lower_expr(rest, grid, span), padded, f.args[1], ghosts)
    return None


def _laplacian(arg: sympy.Expr, grid: Grid, span: Span | None) -> sympy.Expr:
    if grid.all_spectral:
        return spatial.SpectralLaplacian(lower_expr(arg, grid, span))
    return sympy.Add(*(_diff(spatial.Diff(arg, sympy.Symbol(a, real=True), 2), grid, span)
                       for a in grid.domains))


def _diff(expr: spatial.Diff, grid: Grid, span: Span | None) -> sympy.Expr:
    operand, axis, order = expr.args
    domain = grid.domains[axis.name]
    if domain.method == "spectral":
        return spatial.SpectralDiff(lower_expr(operand, grid, span), axis, order)
    if int(order) > 2:
        fail(grid.model, span, f"a derivative of order {order} along the finite-difference axis `{axis}`",
             "finite differences take derivatives of order 1 and 2; higher derivatives need a "
             "periodic spectral axis")
    inner = [d for d in operand.atoms(spatial.Diff) if d.args[1] == axis]
    if inner and int(order) == 1:
        return spatial.FluxDiv(_faces(operand, axis.name, grid, span), axis)
    if operand.has(*spatial.SPATIAL_NODES):
        fail(grid.model, span, f"a derivative along the finite-difference axis `{axis}` of an expression that "
             "has derivatives itself",
             f"write fluxes as `diff(F, {axis})` with first derivatives inside F, e.g. "
             f"`diff(D*diff(u, {axis}), {axis})`")
    ghosts = domain.order // 2
    return spatial.StencilDiff(_padded(operand, axis.name, ghosts, grid), axis, order)


def _padded(operand: sympy.Expr, axis: str, ghosts: int, grid: Grid) -> sympy.Expr:
    """``operand`` with each field and the coordinate ``axis`` replaced by its padded copy."""
    mapping = {s: grid.pad_symbol(s.name, axis, ghosts) for s in _by_name(operand.free_symbols)
               if grid.is_field(s) or s.name == axis}
    return operand.xreplace(mapping)


def _faces(flux: sympy.Expr, axis: str, grid: Grid, span: Span | None) -> sympy.Expr:
    """The flux evaluated at the cell faces along ``axis`` (second order)."""
    mapping = {}
    for d in sorted(flux.atoms(spatial.Diff), key=sympy.default_sort_key):
        target, ax, order = d.args
        if ax.name != axis or int(order) != 1 or not grid.is_field(target):
            fail(grid.model, span, f"the flux `{flux}` has a derivative that the conservative form cannot "
                 "place at cell faces",
                 f"inside `diff(F, {axis})`, use first derivatives of fields along `{axis}` only, "
                 f"e.g. `diff(D*n*diff(c, {axis}), {axis})`")
        mapping[d] = spatial.FaceDiff(grid.pad_symbol(target.name, axis, 1), ax)
    flux = flux.xreplace(mapping)
    faces = {s: spatial.Face(grid.pad_symbol(s.name, axis, 1), sympy.Symbol(axis, real=True))
             for s in _by_name(flux.free_symbols) if grid.is_field(s) or s.name == axis}
    return _replace_outside_facediff(flux, faces)


def _by_name(symbols) -> list:
    """``symbols`` sorted by name: pads are numbered in the same order in every process."""
    return sorted(symbols, key=lambda s: s.name)


def _replace_outside_facediff(expr: sympy.Expr, mapping: dict) -> sympy.Expr:
    if isinstance(expr, (spatial.FaceDiff, spatial.Face)):
        return expr
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    return expr.func(*(_replace_outside_facediff(a, mapping) for a in expr.args))
