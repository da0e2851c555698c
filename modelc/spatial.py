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
    "Upwind",
    "SPATIAL_NODES",
]


def _node(name: str, nargs: int, doc: str) -> type:
    """A SymPy function class ``name`` of ``nargs`` arguments (printers dispatch on the name)."""
    return type(name, (sympy.Function,), {"nargs": nargs, "__doc__": doc, "__module__": __name__})


Diff = _node("Diff", 3, "``diff(expr, x, n)``: the n-th derivative of ``expr`` along axis ``x`` (a Symbol).")
Laplacian = _node("Laplacian", 1, "``laplacian(expr)``: the sum of second derivatives over every axis.")
DomainIntegral = _node("DomainIntegral", 1, "``integral(expr)``: ``expr`` integrated over the whole domain (a scalar).")
SpectralDiff = _node("SpectralDiff", 3, "``SpectralDiff(expr, axis, n)``: Fourier pseudo-spectral n-th derivative "
                     "along a periodic axis.")
SpectralLaplacian = _node("SpectralLaplacian", 1, "``SpectralLaplacian(expr)``: the Laplacian on an all-periodic "
                          "spectral grid (one n-D transform).")
StencilDiff = _node("StencilDiff", 3, "``StencilDiff(padded_expr, axis, n)``: a centred finite difference of "
                    "``padded_expr``, which is evaluated on the grid extended by ghost points along ``axis`` "
                    "(its symbols are the padded copies of fields and coordinates).")
FluxDiv = _node("FluxDiv", 2, "``FluxDiv(face_expr, axis)``: the conservative difference "
                "``(F[i+1/2] - F[i-1/2]) / h``.")
Face = _node("Face", 2, "``Face(padded_symbol, axis)``: a value interpolated to the cell faces along ``axis``.")
FaceDiff = _node("FaceDiff", 2, "``FaceDiff(padded_symbol, axis)``: the compact difference ``(u[i+1] - u[i]) / h`` "
                 "at the faces.")
Upwind = _node("Upwind", 4, "``Upwind(coefficient, padded_field, axis, ghosts)``: ``coefficient * d(field)/d(axis)`` "
               "by first-order differences taken from the side the flow comes from.")
GridIntegral = _node("GridIntegral", 1, "``GridIntegral(expr)``: the quadrature of ``expr`` with the grid's weights.")


SPATIAL_NODES = (Diff, Laplacian, DomainIntegral)
