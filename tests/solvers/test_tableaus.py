"""Algebraic checks of the Butcher tableaus (order conditions, dense output)."""

import numpy as np
import pytest

from modelc.solvers import tableaus as T

ALL = [T.EULER, T.RK4, T.BOSH3, T.DOPRI5, T.TSIT5, T.DOP853]


@pytest.mark.parametrize("tab", ALL, ids=lambda t: t.name)
def test_consistency(tab):
    """Row sums equal the nodes, weights sum to one, low order conditions hold."""
    np.testing.assert_allclose(tab.a.sum(axis=1), tab.c, atol=1e-14)
    assert abs(tab.b.sum() - 1.0) < 1e-14
    if tab.order >= 2:
        assert abs(tab.b @ tab.c - 1 / 2) < 1e-14
    if tab.order >= 3:
        assert abs(tab.b @ tab.c**2 - 1 / 3) < 1e-14
        assert abs(tab.b @ (tab.a @ tab.c) - 1 / 6) < 1e-14
    if tab.order >= 4:
        assert abs(tab.b @ tab.c**3 - 1 / 4) < 1e-14
        assert abs(tab.b @ (tab.a @ tab.c**2) - 1 / 12) < 1e-14
        assert abs(tab.b @ (tab.a @ (tab.a @ tab.c)) - 1 / 24) < 1e-14


@pytest.mark.parametrize("tab", [T.BOSH3, T.DOPRI5, T.TSIT5, T.DOP853], ids=lambda t: t.name)
def test_embedded_and_dense(tab):
    """FSAL structure, error weights sum to 0, dense output reproduces b at theta=1."""
    assert tab.fsal
    assert abs(tab.e.sum()) < 1e-13
    P = tab.dense
    n = len(tab.b)
    np.testing.assert_allclose(P.sum(axis=1)[:n], tab.b, atol=1e-13)
    np.testing.assert_allclose(P.sum(axis=1)[n:], 0.0, atol=1e-12)
    # sum_i b_i(theta) = theta: consistency of the continuous extension
    assert abs(P.sum(axis=0)[0] - 1) < 1e-12
    np.testing.assert_allclose(P.sum(axis=0)[1:], 0.0, atol=1e-12)


def test_dop853_matches_hairer_coefficients():
    """DOP853 data agrees with the coefficients shipped with scipy (test-only dependency)."""
    from scipy.integrate._ivp import dop853_coefficients as ref

    np.testing.assert_array_equal(T.DOP853.a, ref.A[:13, :13])
    np.testing.assert_array_equal(T.DOP853.extra_a, ref.A[13:16, :16])
    np.testing.assert_allclose(T.DOP853.c, ref.C[:13], rtol=1e-15)
    np.testing.assert_allclose(T.DOP853.extra_c, ref.C[13:], rtol=1e-15)
    np.testing.assert_array_equal(T.DOP853.e, ref.E5)
    np.testing.assert_allclose(T.DOP853.e2, ref.E3, atol=1e-16)
    np.testing.assert_allclose(np.asarray(T.DOP853.extra_a).sum(1), T.DOP853.extra_c, atol=1e-14)
