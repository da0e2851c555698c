"""Coefficients of the stiff (linearly implicit and diagonally implicit) methods.

Plain NumPy float64 data, like :mod:`tableaus`; the steppers in
:mod:`rosenbrock` and :mod:`esdirk` turn them into Python floats at trace time.

Rosenbrock methods (:class:`RosenbrockTableau`) use Hairer--Wanner's
transformed form (Solving ODEs II, IV.7, eq. (7.25)), which needs one LU
factorisation of ``W = I/(h gamma) - J`` per step and no matrix-vector
products::

    W k_i = f(t + c_i h, y + sum_j a_ij k_j) + sum_j (C_ij / h) k_j + d_i h df/dt
    y1 = y + sum_j m_j k_j

For the stiffly accurate Rodas methods ``m`` is the last row of ``a`` plus one
on the last two stages, the embedded solution omits the last stage, so the
error estimate is the last stage ``k_s`` itself.  The continuous extension is
``y(theta) = (1 - theta) y0 + theta (y1 + (1 - theta) sum_j theta**j K_j)``
with ``K_j = sum_i H[j, i] k_i``.

ESDIRK methods (:class:`ESDIRKTableau`) have an explicit first stage and a
constant diagonal ``gamma``; ``predictor`` are the weights that extrapolate
the earlier stage derivatives into the Newton initial guess of each stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .butcher import lower


@dataclass(frozen=True, eq=False)
class RosenbrockTableau:
    """A stiffly accurate Rosenbrock method in transformed form (module docstring)."""

    name: str
    gamma: float
    a: np.ndarray  # (s, s) strictly lower; row s-1 gives the last stage's argument
    C: np.ndarray  # (s, s) strictly lower
    c: np.ndarray  # (s,)
    d: np.ndarray  # (s,) the gamma_i multiplying h df/dt
    H: np.ndarray  # (degree - 1, s) dense output
    order: int
    error_order: int

    @property
    def stages(self) -> int:
        """Number of stages (linear solves) per step."""
        return len(self.c)


@dataclass(frozen=True, eq=False)
class ESDIRKTableau:
    """An explicit-first-stage, singly diagonally implicit RK method."""

    name: str
    gamma: float
    a: np.ndarray  # (s, s) strictly lower part; the diagonal is gamma (0 for stage 0)
    c: np.ndarray
    b: np.ndarray  # equals the last row of the full matrix (stiffly accurate)
    e: np.ndarray  # b - bhat
    predictor: np.ndarray  # (s, s) strictly lower
    order: int
    error_order: int

    @property
    def stages(self) -> int:
        """Number of stages, the explicit first one included."""
        return len(self.c)


# ------------------------------------------------------------------- Rodas5
# Di Marzo (1993), coefficients as in Hairer--Wanner's RODAS5 code and in
# OrdinaryDiffEq's Rodas5 tableau, which also gives the 4th order continuous
# extension (rows H).
_R5_A6 = {0: -14.09640773051259, 1: 6.925207756232704, 2: -41.47510893210728,
          3: 2.343771018586405, 4: 24.13215229196062}
RODAS5 = RosenbrockTableau(
    "rodas5",
    gamma=0.19,
    a=lower([
        {},
        {0: 2.0},
        {0: 3.040894194418781, 1: 1.041747909077569},
        {0: 2.576417536461461, 1: 1.622083060776640, 2: -0.9089668560264532},
        {0: 2.760842080225597, 1: 1.446624659844071, 2: -0.3036980084553738,
         3: 0.2877498600325443},
        _R5_A6,
        {**_R5_A6, 5: 1.0},
        {**_R5_A6, 5: 1.0, 6: 1.0},
    ]),
    C=lower([
        {},
        {0: -10.31323885133993},
        {0: -21.04823117650003, 1: -7.234992135176716},
        {0: 32.22751541853323, 1: -4.943732386540191, 2: 19.44922031041879},
        {0: -20.69865579590063, 1: -8.816374604402768, 2: 1.260436877740897,
         3: -0.7495647613787146},
        {0: -46.22004352711257, 1: -17.49534862857472, 2: -289.6389582892057,
         3: 93.60855400400906, 4: 318.3822534212147},
        {0: 34.20013733472935, 1: -14.15535402717690, 2: 57.82335640988400,
         3: 25.83362985412365, 4: 1.408950972071624, 5: -6.551835421242162},
        {0: 42.57076742291101, 1: -13.80770672017997, 2: 93.98938432427124,
         3: 18.77919633714503, 4: -31.58359187223370, 5: -6.685968952921985,
         6: -5.810979938412932},
    ]),
    c=np.array([0.0, 0.38, 0.3878509998321533, 0.4839718937873840, 0.4570477008819580,
                1.0, 1.0, 1.0]),
    d=np.array([0.19, -0.1823079225333714636, -0.319231832186874912, 0.3449828624725343,
                -0.377417564392089818, 0.0, 0.0, 0.0]),
    H=np.array([
        [27.354592673333357, -6.925207756232857, 26.40037733258859, 0.5635230501052979,
         -4.699151156849391, -1.6008677469422725, -1.5306074446748028, -1.3929872940716344],
        [44.19024239501722, 1.3677947663381929e-13, 202.93261852171622, -35.5669339789154,
         -181.91095152160645, 3.4116351403665033, 2.5793540257308067, 2.2435122582734066],
        [-44.0988150021747, -5.755396159656812e-13, -181.26175034586677, 56.99302194811676,
         183.21182741427398, -7.480257918273637, -5.792426076169686, -5.32503859794143],
    ]),
    order=5,
    error_order=4,
)

# ----------------------------------------------------------------- Kvaerno5
# Kvaerno (2004), BIT 44: 489-502; 7 stages, L-stable, stiffly accurate, with
# the stage predictor weights used by diffrax.
_K5_G = 0.26
_K5_A6 = {0: 0.13855640231268224, 2: -0.04245337201752043, 3: 0.02446657898003141,
          4: 0.61943039072480676}
_K5_A7 = {0: 0.13659751177640291, 2: -0.05496908796538376, 3: -0.04118626728321046,
          4: 0.62993304899016403, 5: 0.06962479448202728}
_K5_A = lower([
    {},
    {0: _K5_G},
    {0: 0.13, 1: 0.84033320996790809},
    {0: 0.22371961478320505, 1: 0.47675532319799699, 2: -0.06470895363112615},
    {0: 0.16648564323248321, 1: 0.10450018841591720, 2: 0.03631482272098715,
     3: -0.13090704451073998},
    _K5_A6,
    _K5_A7,
])
_K5_B = np.append(_K5_A[6, :6], _K5_G)
_K5_BHAT = np.append(np.append(_K5_A[5, :5], _K5_G), 0.0)
KVAERNO5 = ESDIRKTableau(
    "kvaerno5",
    gamma=_K5_G,
    a=_K5_A,
    c=np.concatenate([[0.0], _K5_A.sum(axis=1)[1:] + _K5_G]),
    b=_K5_B,
    e=_K5_B - _K5_BHAT,
    predictor=lower([
        {},
        {0: 1.0},
        {0: -1.366025403784441, 1: 2.3660254037844357},
        {0: -0.19650552613122207, 1: 0.8113579546496623, 2: 0.38514757148155954},
        {0: 0.10375304369958693, 1: 0.937994698066431, 2: -0.04174774176601781},
        {0: -0.17281112873898072, 1: 0.6235784481025847, 2: 0.5492326806363959},
        {**_K5_A6, 5: _K5_G},
    ]),
    order=5,
    error_order=4,
)

__all__ = ["RosenbrockTableau", "ESDIRKTableau", "RODAS5", "KVAERNO5"]
