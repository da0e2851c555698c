"""Runtime ODE solvers of modelc: explicit RK steppers, step-size controllers
and one ``lax.while_loop`` integration loop, operating on JAX functions
``rhs(t, y, args) -> dy/dt``.

Layout (docs/design.md, "Inside the runtime"): the entry points are in
:mod:`.integrate`, the method registry :data:`METHODS` in :mod:`.methods`,
the loop (``LoopSpec``, its carry and step records) in :mod:`.loop`, the
stepper protocol and capability markers in :mod:`.stepper`.

``nfe`` accounting (rhs evaluations reported in :class:`RawSolution`):

* FSAL adaptive pairs (tsit5, dopri5, bosh3, dopri8):
  ``nfe = 1 + [1 if dt0 is None] + (s - 1) * steps (+ 3 * dense_steps for dopri8)``
  where ``s`` counts the FSAL stage (tsit5/dopri5: 7, bosh3: 4, dopri8: 13),
  ``steps = accepted + rejected`` (rejected steps evaluate all stages too) and
  ``dense_steps`` are the accepted dopri8 steps with an output time inside;
* fixed-step rk4 / euler: ``nfe = s * steps`` (4 / 1);
* rodas5: ``nfe = [2 if dt0 is None] + 8 * steps`` (no FSAL state, so the
  automatic initial step evaluates ``f(t0, y0)`` itself; the first stage is one
  ``jax.jvp`` in ``t``, giving ``f`` and ``df/dt``), ``njev = nlu = steps``;
* kvaerno5: ``nfe = 1 + [1 if dt0 is None] + Newton iterations``,
  ``njev = nlu = steps``;
* split exponential steppers (etd1, etdrk2, etdrk4, etdrk4b = krogstad, lawson4; fixed
  step, need ``split=``): ``nfe = s * steps`` evaluations of ``N`` (1, 2, 4,
  4, 4);
* exponential Adams--Bashforth etdab2, etdab3, etdab4 (fixed step, constant ``L``,
  need ``split=``): ``nfe = steps + 3 min(steps, s - 1)`` evaluations of ``N``
  (one per step; the first ``s - 1`` steps are ETDRK4 steps, 4 each);
* etdrk43 (adaptive ETDRK4 with an embedded order-3 estimate, FSAL, needs
  ``split=``): ``nfe = 1 + [1 if dt0 is None] + 4 * steps (5 for a
  time-dependent L) + 2 * dense_steps`` evaluations of ``N`` (start, steps)
  and of ``f`` (the automatic first step and the Hermite dense output of
  steps that carry an output time);
* exponential Rosenbrock exprb32 / exprb43 (adaptive): ``nfe = [2 if dt0 is
  None] + s * steps`` (2 / 3), ``njev = steps``, ``nlu = 0``.

Events (:mod:`.events`, an :class:`EventSpec` in ``integrate(..., events=...)``) add
rhs evaluations: at each located event one ``f`` at the event time, the stepper's
restart (one ``f`` for FSAL methods) and, for fixed-step methods, two ``f`` for the
Hermite interpolant; they are included in ``nfe``.

Stiff methods take ``jac(t, y, args)`` (``df/dy``; ``jax.jacfwd`` of the rhs
when absent); ``method="auto"`` chooses ``tsit5`` or ``rodas5``
(:func:`choose_method`).  Why an ESDIRK (kvaerno5) and not a variable-order
BDF as the second stiff method: it is a one-step method, so it fits the
stepper protocol and the loop unchanged (no history to rescale on step
changes, no order selection, dense output per step), it shares the Jacobian
and LU machinery with the Rosenbrock method, and it is directly comparable
with diffrax's Kvaerno5.  Unlike Rodas5 it iterates (simplified Newton), so it
stays accurate when the Jacobian is poor, at the price of data-dependent work.
"""

from . import runtime  # noqa: F401  (float64 by default: before any array is made)
from . import krylov  # phi-functions of matrix-free L: solvers.krylov
from .dae import DAE_METHODS, MassRodas5, integrate_dae
from .controllers import (AbstractController, ConstantStepController, PIController, StepAttempt,
                          StepStart, Tolerance, initial_step)
from .erk import RK4, Bosh3, Dopri5, Dopri8, Euler, ExplicitRK, Tsit5
from .esdirk import ESDIRK, Kvaerno5
from .expint import (ETD1, ETDRK2, ETDRK4, ETDRK4B, ExpRB32, ExpRB43, Lawson4, Split,
                     SplitRHS)
from .expint_adaptive import ETDRK43
from .expint_multistep import ETDAB, ETDAB2, ETDAB3, ETDAB4
from .implicit import ImplicitStepper, StiffRHS
from .integrate import IntegrateOptions, integrate
from .events import EventSpec
from .loop import OK_STATUSES, LoopSpec, RawSolution, Status
from .methods import METHODS, AutoStepper
from .phi import SplitKind
from .rosenbrock import Rodas5, Rosenbrock
from .sparse import SparseJacobianFunction
from .stepper import (AbstractStepper, AdaptiveStepper, ConstantLinearStepper,
                      DenseOutputStepper, ExtraDenseStagesStepper, FSALStepper, SplitStepper)
from .stiffness import (choose_for_members, choose_from_spectra, choose_method, probe_spectra, spectral_radius,
                        stiffness_index)

__all__ = [
    "SparseJacobianFunction",
    "integrate", "IntegrateOptions", "LoopSpec", "RawSolution", "Status", "OK_STATUSES",
    "EventSpec", "METHODS", "krylov",
    "AbstractStepper", "AdaptiveStepper", "DenseOutputStepper", "FSALStepper",
    "ExtraDenseStagesStepper", "ExplicitRK", "Tsit5", "Dopri5", "Dopri8", "Bosh3",
    "RK4", "Euler",
    "AbstractController", "PIController", "ConstantStepController", "initial_step",
    "Tolerance", "StepStart", "StepAttempt", "ConstantLinearStepper", "SplitKind",
    "ImplicitStepper", "StiffRHS", "Rosenbrock", "Rodas5", "ESDIRK", "Kvaerno5",
    "AutoStepper", "choose_method", "choose_from_spectra", "choose_for_members", "probe_spectra", "stiffness_index",
    "spectral_radius",
    "Split", "SplitRHS", "SplitStepper", "ETD1", "ETDRK2", "ETDRK4", "ETDRK4B", "Lawson4",
    "ETDRK43", "ExpRB32", "ExpRB43", "ETDAB", "ETDAB2", "ETDAB3", "ETDAB4",
    "integrate_dae", "MassRodas5", "DAE_METHODS",
]
