"""Butcher tableaus of the explicit Runge--Kutta methods used by the runtime.

Everything here is plain NumPy float64 data; the steppers in :mod:`erk` turn
the coefficients into Python floats at trace time so that XLA sees scalar
constants (zeros are skipped).

Conventions
-----------
* ``a`` is the strictly lower triangular stage matrix, ``c`` the nodes, ``b``
  the weights of the propagated solution.
* For FSAL pairs the last row of ``a`` equals ``b`` and its node is 1: the last
  stage is ``f(t + h, y1)`` and becomes the first stage of the next step.
* ``e`` are error weights (``b - bhat``); the local error estimate is
  ``h * sum_i e_i k_i``.
* ``dense`` is a matrix ``P`` (stages x degree) of the continuous extension
  ``y(t + theta h) = y0 + h * sum_i k_i * sum_j P[i, j] * theta**(j + 1)``.
  Its rows may cover extra stages (``extra_c``/``extra_a``) that are only
  evaluated when an output time falls into the step (DOP853).
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import polynomial as npoly

from .butcher import ButcherTableau, lower, monomial_rows
from .tableau_dop853 import DOP853  # large data, separate module


# --------------------------------------------------------------------- Euler / RK4
EULER = ButcherTableau("euler", c=np.array([0.0]), a=np.zeros((1, 1)), b=np.array([1.0]), order=1)

RK4 = ButcherTableau(
    "rk4",
    c=np.array([0.0, 0.5, 0.5, 1.0]),
    a=lower([{}, {0: 0.5}, {1: 0.5}, {2: 1.0}]),
    b=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
    order=4,
)

# ------------------------------------------------------ Bogacki--Shampine 3(2)
_BS_B = np.array([2 / 9, 1 / 3, 4 / 9, 0.0])
_BS_BHAT = np.array([7 / 24, 1 / 4, 1 / 3, 1 / 8])
# Hermite cubic through (y0, f0) and (y1, f1), written in the stages:
# y0 + h01(th) (y1 - y0) + h (h10(th) k1 + h11(th) k4).
_H01, _H10, _H11 = [0, 0, 3, -2], [0, 1, -2, 1], [0, 0, -1, 1]
BOSH3 = ButcherTableau(
    "bosh3",
    c=np.array([0.0, 0.5, 0.75, 1.0]),
    a=lower([{}, {0: 0.5}, {1: 0.75}, {0: 2 / 9, 1: 1 / 3, 2: 4 / 9}]),
    b=_BS_B,
    order=3,
    e=_BS_B - _BS_BHAT,
    error_order=2,
    dense=monomial_rows(
        [np.multiply(_H01, bi) + (i == 0) * np.array(_H10) + (i == 3) * np.array(_H11)
         for i, bi in enumerate(_BS_B)], 3),
)

# ----------------------------------------------------- Dormand--Prince 5(4)
_DP_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
_DP_BHAT = np.array([5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40])
DOPRI5 = ButcherTableau(
    "dopri5",
    c=np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]),
    a=lower([
        {},
        {0: 1 / 5},
        {0: 3 / 40, 1: 9 / 40},
        {0: 44 / 45, 1: -56 / 15, 2: 32 / 9},
        {0: 19372 / 6561, 1: -25360 / 2187, 2: 64448 / 6561, 3: -212 / 729},
        {0: 9017 / 3168, 1: -355 / 33, 2: 46732 / 5247, 3: 49 / 176, 4: -5103 / 18656},
        {0: 35 / 384, 2: 500 / 1113, 3: 125 / 192, 4: -2187 / 6784, 5: 11 / 84},
    ]),
    b=_DP_B,
    order=5,
    e=_DP_B - _DP_BHAT,
    error_order=4,
    # Shampine's 4th order continuous extension (coefficients of theta^1..4).
    dense=np.array([
        [1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
        [0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [0.0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
        [0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]),
)

# ------------------------------------------------------- Tsitouras 5(4), 2011
_TS_B = np.array([
    0.096460766818065229518, 0.01, 0.47988965041449957478, 1.3790085741037418932,
    -3.2900695154360806799, 2.3247105240997739824, 0.0,
])
_TS_BHAT = np.array([
    0.094680755765839458075, 0.0091835655403432530968, 0.48777052842476157079, 1.2342975669304789857,
    -2.7077123499835254549, 1.8666284181705870358, 1 / 66,
])


def _factored(scale, *factors):
    """Polynomial ``scale * prod(factors)`` (each factor low-to-high coefficients)."""
    p = np.array([scale])
    for f in factors:
        p = npoly.polymul(p, f)
    return p


_T2 = [0.0, 0.0, 1.0]  # theta**2
TSIT5 = ButcherTableau(
    "tsit5",
    c=np.array([0.0, 0.161, 0.327, 0.9, 0.98002554090450968573, 1.0, 1.0]),
    a=lower([
        {},
        {0: 0.161},
        {0: -0.0084806554923569885444, 1: 0.33548065549235698854},
        {0: 2.8971530571054934321, 1: -6.3594484899750748431, 2: 4.3622954328695814110},
        {0: 5.3258648284392566044, 1: -11.748883564062827878, 2: 7.4955393428898362083,
         3: -0.092495066361755249257},
        {0: 5.8614554429464200287, 1: -12.920969317847109292, 2: 8.1593678985761586432,
         3: -0.071584973281400997225, 4: -0.028269050394068382909},
        dict(enumerate(_TS_B[:6])),
    ]),
    b=_TS_B,
    order=5,
    e=_TS_B - _TS_BHAT,
    error_order=4,
    # Tsitouras' own 4th order continuous extension, b_i(theta) in factored form.
    dense=monomial_rows([
        _factored(-1.0530884977290216, [0, 1], [-1.3299890189751412, 1],
                  [0.7139816917074209, -1.4364028541716351, 1]),
        _factored(0.1017, _T2, [1.2949852507374631, -2.1966568338249754, 1]),
        _factored(2.490627285651252793, _T2, [1.57803468208092486, -2.38535645472061657, 1]),
        _factored(-16.54810288924490272, _T2, [-1.21712927295533244, 1],
                  [-0.61620406037800089, 1]),
        _factored(47.37952196281928122, _T2, [-1.203071208372362603, 1],
                  [-0.658047292653547382, 1]),
        _factored(-34.87065786149660974, _T2, [-1.2, 1], [-2 / 3, 1]),
        _factored(2.5, _T2, [-1.0, 1], [-0.6, 1]),
    ], 4),
)


__all__ = ["ButcherTableau", "EULER", "RK4", "BOSH3", "DOPRI5", "TSIT5", "DOP853"]
