"""Runtime ODE solvers of modelc: explicit RK steppers, step-size controllers
and one ``lax.while_loop`` integration loop, operating on JAX functions
``rhs(t, y, args) -> dy/dt``.

``nfe`` accounting (rhs evaluations reported in :class:`RawSolution`):

* FSAL adaptive pairs (tsit5, dopri5, bosh3, dopri8):
  ``nfe = 1 + [1 if dt0 is None] + (s - 1) * steps (+ 3 * dense_steps for dopri8)``
  where ``s`` counts the FSAL stage (tsit5/dopri5: 7, bosh3: 4, dopri8: 13),
  ``steps = accepted + rejected`` (rejected steps evaluate all stages too) and
  ``dense_steps`` are the accepted dopri8 steps with an output time inside;
* fixed-step rk4 / euler: ``nfe = s * steps`` (4 / 1).
"""

from .controllers import (AbstractController, ConstantStepController, PIController,
                          initial_step)
from .erk import (AbstractStepper, AdaptiveStepper, Bosh3, DenseOutputStepper, Dopri5,
                  Dopri8, Euler, ExplicitRK, ExtraDenseStagesStepper, FSALStepper, RK4,
                  Tsit5)
from .loop import RawSolution, Status, integrate

METHODS = {
    "tsit5": Tsit5(),
    "dopri5": Dopri5(),
    "dopri8": Dopri8(),
    "bosh3": Bosh3(),
    "rk4": RK4(),
    "euler": Euler(),
}

__all__ = [
    "integrate", "RawSolution", "Status", "METHODS",
    "AbstractStepper", "AdaptiveStepper", "DenseOutputStepper", "FSALStepper",
    "ExtraDenseStagesStepper", "ExplicitRK", "Tsit5", "Dopri5", "Dopri8", "Bosh3",
    "RK4", "Euler",
    "AbstractController", "PIController", "ConstantStepController", "initial_step",
]
