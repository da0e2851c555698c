"""The exponential methods' phi-weights against the papers' order conditions.

A weight is a phi-polynomial, its coefficient tuple ``(a_0, a_1, ...)``; sums of
weights are sums of those vectors, so the stiff order conditions of exponential
Runge--Kutta methods (Hochbruck & Ostermann 2010, Table 2.1) are exact identities
between coefficient vectors; at ``z -> 0`` (``phi_k(0) = 1/k!``) the weights are
a classical Runge--Kutta method's.
"""

import math

import jax
import numpy as np
import pytest

from modelc.solvers import phi_tableaus as pt
from modelc.solvers.phi import phi_diagonal

jax.config.update("jax_enable_x64", True)

K = 6  # phi_0 .. phi_5


def vec(coeffs) -> np.ndarray:
    """A phi-polynomial as a fixed-length coefficient vector."""
    out = np.zeros(K)
    out[:len(coeffs)] = coeffs
    return out


def phi(k: int) -> np.ndarray:
    return vec((0.0,) * k + (1.0,))


def at_zero(coeffs) -> float:
    """The weight in the scalar limit z -> 0."""
    return float(vec(coeffs) @ [1 / math.factorial(k) for k in range(K)])


def moment(weights, c, k: int) -> np.ndarray:
    """``sum_i b_i c_i^k / k!`` as a phi-polynomial."""
    return sum(vec(b) * ci ** k / math.factorial(k) for b, ci in zip(weights, c))


@pytest.mark.parametrize("tab", [pt.ETDRK4, pt.KROGSTAD])
def test_etd4_weights_satisfy_the_stiff_order_conditions(tab):
    """Conditions 1-3 of Table 2.1: ``sum b_i c_i^(k-1)/(k-1)! = phi_k`` for k = 1..3."""
    for k in (1, 2, 3):
        np.testing.assert_allclose(moment(tab.b, tab.c, k - 1), phi(k), atol=1e-15)


@pytest.mark.parametrize("tab", [pt.ETDRK4, pt.KROGSTAD])
def test_etd4_weights_reduce_to_classical_rk4(tab):
    """In the scalar limit the weights are RK4's (1/6, 1/3, 1/3, 1/6), and the fourth
    quadrature condition holds there (Cox & Matthews 2002)."""
    np.testing.assert_allclose([at_zero(b) for b in tab.b], [1 / 6, 1 / 3, 1 / 3, 1 / 6])
    assert at_zero(moment(tab.b, tab.c, 3)) == pytest.approx(1 / 24)


def test_etd4_weights_from_the_phi_functions_near_zero():
    """The same limit with the runtime's phi-functions at a tiny ``z``."""
    phis = np.array([float(p) for p in phi_diagonal(np.asarray(1e-9), K - 1)])
    np.testing.assert_allclose([vec(b) @ phis for b in pt.ETDRK4.b],
                               [1 / 6, 1 / 3, 1 / 3, 1 / 6], rtol=1e-8)


def test_etdrk43_estimate_is_b4_times_the_fsal_difference():
    e = pt.ETDRK43.e
    np.testing.assert_array_equal(vec(e[3]), vec(pt.ETDRK4.b[3]))
    np.testing.assert_array_equal(vec(e[4]), -vec(pt.ETDRK4.b[3]))


@pytest.mark.parametrize("tab, conditions", [
    (pt.EXPRB32, (2,)),      # order 3: sum b_i c_i^2 = 2 phi_3
    (pt.EXPRB43, (2, 3)),    # order 4: and sum b_i c_i^3 = 6 phi_4
])
def test_exprb_weights_satisfy_their_order_conditions(tab, conditions):
    """Hochbruck, Ostermann & Schweitzer (2009), Table 4.1: ``sum b_i c_i^k / k! = phi_(k+1)``
    for the defects' weights (``k >= 2``)."""
    for k in conditions:
        np.testing.assert_allclose(moment(tab.b, tab.c, k), phi(k + 1), atol=1e-14)


def test_exprb43_embedded_solution_has_order_three():
    """``y1 - err`` (weights ``b - e``) satisfies the order-3 condition, not the order-4 one."""
    embedded = [vec(b) - vec(e) for b, e in zip(pt.EXPRB43.b, pt.EXPRB43.e)]
    np.testing.assert_allclose(moment(embedded, pt.EXPRB43.c, 2), phi(3), atol=1e-14)
    assert np.abs(moment(embedded, pt.EXPRB43.c, 3) - phi(4)).max() > 0.1
