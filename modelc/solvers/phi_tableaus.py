"""The weights of the exponential methods as data: polynomials in phi-functions.

The exponential counterpart of :mod:`.tableaus`: a weight of an exponential
Runge--Kutta or Rosenbrock method is a combination of the phi-functions
``phi_k(hL)`` (``phi_0 = e^z``, ``phi_k(z) = (phi_{k-1}(z) - 1/(k-1)!) / z``),
written here as its coefficient tuple ``(a_0, a_1, ...)`` meaning
``a_0 phi_0 + a_1 phi_1 + ...`` -- the form the operators'
``combine(h, [(coefficients, vector), ...])`` take
(:mod:`~modelc.solvers.phi`).  So ``(0, 0, 0, 16, -48)`` is
``16 phi_3 - 48 phi_4``.

The tables are checked against the papers' order conditions
(``tests/solvers/test_phi_tableaus.py``): for an exponential RK method
``sum_i b_i c_i^(k-1) / (k-1)! = phi_k`` (Hochbruck & Ostermann, Acta Numerica
19 (2010), Table 2.1), and in the scalar limit ``z -> 0`` (``phi_k(0) = 1/k!``)
the weights become a classical Runge--Kutta method's.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PhiWeights", "ETDRK4", "KROGSTAD", "ETDRK43", "EXPRB32", "EXPRB43"]

Phi = tuple[float, ...]
"""Coefficients of ``phi_0, phi_1, ...`` (trailing ones omitted are 0)."""


@dataclass(frozen=True)
class PhiWeights:
    """The output weights of an exponential method as phi-polynomials.

    ``c``: the nodes of the stages the weights multiply; ``b``: per stage, the
    phi-coefficients of its weight; ``e``: those of the embedded error
    estimate (None without one); ``order``: the method's classical order.
    For the exponential RK methods (ETD) the stages are ``N`` at the nodes
    and ``y1 = e^{hL} y + h sum_i b_i N_i``; for the exponential Rosenbrock
    methods they are the defects ``D_i`` of the linearisation at the nodes,
    ``y1 = y + h phi_1 f + h^2 phi_2 v + h sum_i b_i D_i`` (the terms in ``f``
    and ``v`` are those of every exponential Rosenbrock method).
    """

    name: str
    order: int
    c: tuple[float, ...]
    b: tuple[Phi, ...]
    e: tuple[Phi, ...] | None = None


ETDRK4 = PhiWeights(
    "etdrk4", order=4, c=(0.0, 0.5, 0.5, 1.0),
    b=((0.0, 1.0, -3.0, 4.0),    # phi_1 - 3 phi_2 + 4 phi_3
       (0.0, 0.0, 2.0, -4.0),    # 2 phi_2 - 4 phi_3
       (0.0, 0.0, 2.0, -4.0),    # 2 phi_2 - 4 phi_3
       (0.0, 0.0, -1.0, 4.0)))   # -phi_2 + 4 phi_3
"""Cox & Matthews, J. Comput. Phys. 176 (2002), eq. (26)."""

KROGSTAD = PhiWeights("etdrk4b", order=4, c=ETDRK4.c, b=ETDRK4.b)
"""Krogstad, J. Comput. Phys. 203 (2005): the same output weights as ETDRK4
(only the internal stages differ)."""

ETDRK43 = PhiWeights(
    "etdrk43", order=4, c=ETDRK4.c + (1.0,), b=ETDRK4.b + ((0.0,),),
    e=((0.0,), (0.0,), (0.0,), (0.0, 0.0, -1.0, 4.0), (0.0, 0.0, 1.0, -4.0)))
"""ETDRK4 with an embedded order-3 estimate: ``h (4 phi_3 - phi_2) (N_4 - N(t + h, y1))``
(the fifth stage is the next step's first, FSAL; :mod:`.expint_adaptive`)."""

EXPRB32 = PhiWeights(
    "exprb32", order=3, c=(1.0,),
    b=((0.0, 0.0, 0.0, 2.0),),   # 2 phi_3
    e=((0.0, 0.0, 0.0, 2.0),))   # the estimate: y1 minus the exponential Rosenbrock-Euler step
"""Hochbruck, Ostermann & Schweitzer, SIAM J. Numer. Anal. 47 (2009), exprb32."""

EXPRB43 = PhiWeights(
    "exprb43", order=4, c=(0.5, 1.0),
    b=((0.0, 0.0, 0.0, 16.0, -48.0),   # 16 phi_3 - 48 phi_4
       (0.0, 0.0, 0.0, -2.0, 12.0)),   # -2 phi_3 + 12 phi_4
    e=((0.0, 0.0, 0.0, 0.0, -48.0),    # -48 phi_4: y1 minus the embedded order-3 solution
       (0.0, 0.0, 0.0, 0.0, 12.0)))    # 12 phi_4
"""Hochbruck, Ostermann & Schweitzer, SIAM J. Numer. Anal. 47 (2009), exprb43."""
