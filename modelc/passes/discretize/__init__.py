"""The method of lines: fields on domains -> a semi-discrete system (`ir.Discretization`).

`discretize` is a pure pass ``Model -> Model``. For a model without fields it
returns the model unchanged. Otherwise it inlines the lets, records each
field's linear constant-coefficient part (`linear.linear_operator`; where the grid is not all-periodic spectral or
scalar states sit beside the fields, that part is also lowered on its own,
``discretization.linear_rhs``, for a matrix-free split), replaces
the spatial operators by discrete ones (`lower.lower_expr`) and checks that
scalar states and observables are scalars (fields enter them through
``integral``). The operators stay structured — FFTs and stencils — and the
code generator (`modelc.codegen.fields`) emits them as calls of
`modelc.fieldops`; no matrix is ever built. A grid whose solve cannot fit in
memory is refused first (`memory.check_grid_memory`), before anything is allocated.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ... import spatial
from ...graphorder import topological_order
from ...ir import Discretization, Model
from .context import Grid, fail
from .dealias import nonlinear_degree, padded_points
from .linear import linear_operator, wavenumber
from .memory import check_grid_memory
from .lower import lower_expr

__all__ = ["discretize", "wavenumber", "check_grid_memory"]


def discretize(model: Model) -> Model:
    """Discretise the fields of ``model`` in space; a model without fields is returned as is."""
    if not model.fields or model.discretization is not None:
        return model
    grid = Grid.of(model)
    check_grid_memory(model)
    values = _let_values(model)
    parameters = set(model.parameter_names)
    linear, rhs, nonlinear_rhs, linear_rhs = [], [], [], []
    fourier = grid.all_spectral and not model.states
    for d in model.field_derivatives:
        expr = d.expr.xreplace(values)
        op = linear_operator(d.state, expr, grid, parameters)
        linear.append(op)
        rhs.append((d.state, lower_expr(expr, grid, d.span)))
        if grid.all_spectral and op.terms:
            nonlinear_rhs.append((d.state, lower_expr(op.nonlinear, grid, d.span)))
        if not fourier and op.terms:
            linear_rhs.append((d.state, lower_expr(sympy.expand(expr) - op.nonlinear, grid, d.span)))
    state_rhs = tuple((d.state, _scalar(d.expr.xreplace(values), grid, d.span, f"der({d.state})"))
                      for d in model.derivatives)
    observes = tuple((o.name, _scalar(o.expr.xreplace(values), grid, o.span, f"observable `{o.name}`"))
                     for o in model.observes)
    padded = _padded_shape(model, grid, linear)
    dealias = () if padded else tuple(op.field for op in linear
                                      if op.nonlinear != 0 and _dealiased(grid))
    return replace(model, discretization=Discretization(
        rhs=tuple(rhs), state_rhs=state_rhs, observes=observes, pads=tuple(grid.pads),
        linear=tuple(linear), dealias=dealias, nonlinear_rhs=tuple(nonlinear_rhs),
        linear_rhs=tuple(linear_rhs), padded_shape=padded))


def _dealiased(grid: Grid) -> bool:
    """The 2/3-rule filter: ``dealias = truncate``, or ``pad`` where padding does not
    apply (a spectral axis beside finite-difference ones)."""
    return any(d.method == "spectral" and d.dealias != "off" for d in grid.domains.values())


def _padded_shape(model: Model, grid: Grid, linear) -> tuple[int, ...]:
    """The zero-padded grid of ``dealias = pad`` on an all-periodic spectral grid
    (`dealias` module), or ``()``: no padding (another setting, another grid, a
    right-hand side linear in the fields)."""
    domains = model.domains
    if not grid.all_spectral or any(d.dealias != "pad" for d in domains):
        return ()
    names = set(model.field_names)
    degrees = [nonlinear_degree(op.nonlinear, names) for op in linear if op.nonlinear != 0]
    if not degrees:
        return ()
    degree = None if None in degrees else max(degrees)
    shape = tuple(padded_points(d.points, degree) for d in domains)
    return shape if shape != tuple(d.points for d in domains) else ()


def _let_values(model: Model) -> dict:
    """Each let's symbol (matched by name) mapped to its value with other lets inlined."""
    by_name = {le.name: le for le in model.lets}
    edges = [(s.name, le.name) for le in model.lets for s in le.expr.free_symbols if s.name in by_name]
    values: dict = {}
    for name in topological_order(list(by_name), edges):
        value = by_name[name].expr.xreplace(values)
        for s in _symbols_named(model, name):
            values[s] = value
    return values


def _symbols_named(model: Model, name: str) -> set:
    exprs = [le.expr for le in model.lets] + [d.expr for d in model.derivatives + model.field_derivatives]
    exprs += [o.expr for o in model.observes]
    found = {s for e in exprs for s in e.free_symbols if s.name == name}
    return found or {sympy.Symbol(name, real=True)}


def _scalar(expr: sympy.Expr, grid: Grid, span, what: str) -> sympy.Expr:
    """``expr`` lowered, after checking that it is a scalar (fields only inside ``integral``)."""
    lowered = lower_expr(expr, grid, span)
    outside = lowered.replace(lambda e: isinstance(e, spatial.GridIntegral), lambda e: sympy.Dummy("integral"))
    spatial_names = sorted(s.name for s in outside.free_symbols if grid.is_field(s) or grid.is_coordinate(s))
    if spatial_names or outside.has(spatial.SpectralDiff, spatial.StencilDiff, spatial.FluxDiv,
                                    spatial.SpectralLaplacian):
        name = spatial_names[0] if spatial_names else "a derivative"
        fail(grid.model, span, f"{what} is a scalar but uses `{name}`, which varies in space",
             "integrate over the domain to get a scalar, e.g. `integral(u)` (or `integral(u)/L` for the mean)")
    return lowered
