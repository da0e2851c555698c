"""SymPy nodes for the spatial operators of field models (compiler side only).

The parser builds `Diff`, `Laplacian` and `DomainIntegral` from ``diff(...)``,
``laplacian(...)`` and ``integral(...)``; the discretize pass
(`modelc.passes.discretize`) replaces them with the discrete operators below,
which the printer turns into calls of `modelc.fieldops`. None of these nodes
claims to be real: a complex field's derivative is complex.
"""

from __future__ import annotations

import sympy

__all__ = [
    "Diff",
    "Laplacian",
    "DomainIntegral",
    "SpectralDiff",
    "SpectralLaplacian",
    "StencilDiff",
    "FluxDiv",
    "Face",
    "FaceDiff",
    "GridIntegral",
    "SPATIAL_NODES",
]


class Diff(sympy.Function):
    """``diff(expr, x, n)``: the n-th derivative of ``expr`` along axis ``x`` (a Symbol)."""

    nargs = 3


class Laplacian(sympy.Function):
    """``laplacian(expr)``: the sum of second derivatives over every axis."""

    nargs = 1


class DomainIntegral(sympy.Function):
    """``integral(expr)``: ``expr`` integrated over the whole domain (a scalar)."""

    nargs = 1


class SpectralDiff(sympy.Function):
    """``SpectralDiff(expr, axis, n)``: Fourier pseudo-spectral n-th derivative along a periodic axis."""

    nargs = 3


class SpectralLaplacian(sympy.Function):
    """``SpectralLaplacian(expr)``: the Laplacian on an all-periodic spectral grid (one n-D transform)."""

    nargs = 1


class StencilDiff(sympy.Function):
    """``StencilDiff(padded_expr, axis, n)``: a centred finite difference of ``padded_expr``.

    ``padded_expr`` is evaluated on the grid extended by ghost points along
    ``axis`` (its symbols are the padded copies of fields and coordinates).
    """

    nargs = 3


class FluxDiv(sympy.Function):
    """``FluxDiv(face_expr, axis)``: the conservative difference ``(F[i+1/2] - F[i-1/2]) / h``."""

    nargs = 2


class Face(sympy.Function):
    """``Face(padded_symbol, axis)``: a value interpolated to the cell faces along ``axis``."""

    nargs = 2


class FaceDiff(sympy.Function):
    """``FaceDiff(padded_symbol, axis)``: the compact difference ``(u[i+1] - u[i]) / h`` at the faces."""

    nargs = 2


class GridIntegral(sympy.Function):
    """``GridIntegral(expr)``: the quadrature of ``expr`` with the grid's weights."""

    nargs = 1


SPATIAL_NODES = (Diff, Laplacian, DomainIntegral)
