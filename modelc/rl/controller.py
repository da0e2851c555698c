""":class:`PolicyController`: a learned step-size policy behind the controller protocol.

The controller is an immutable, hashable dataclass (a static ``jit``
argument like every controller): its weights are stored as bytes and turned
into constants when the solver is traced.  Its state is the PI controller's
state plus four scalars of history, so it fits the loop's packed carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

from ..solvers.controllers import AbstractController, PIController
from . import policy as pol

__all__ = ["PolicyController", "freeze", "thaw"]


def freeze(params) -> tuple:
    """A hashable copy of a parameter dict: ``((name, shape, float64 bytes), ...)``."""
    out = []
    for name in sorted(params):
        a = np.asarray(params[name], np.float64)
        out.append((name, a.shape, a.tobytes()))
    return tuple(out)


def thaw(frozen: tuple) -> dict:
    """Inverse of :func:`freeze`: a dict of read-only numpy arrays."""
    return {name: np.frombuffer(data, np.float64).reshape(shape)
            for name, shape, data in frozen}


@dataclass(frozen=True)
class PolicyController(AbstractController):
    """Step sizes (and acceptance) from a trained policy, falling back to PI.

    ``weights`` is a frozen parameter dict (:func:`freeze`); ``metadata`` a
    tuple of ``(key, value)`` string pairs (features, training problem,
    method, version, ...); ``pi`` the PI rule the policy refines and falls back
    to when its features are not finite.  Build one with
    :func:`modelc.rl.load` or :meth:`from_params`.
    """

    weights: tuple
    metadata: tuple = ()
    pi: PIController = field(default_factory=PIController)

    @classmethod
    def from_params(cls, params, metadata: dict | None = None,
                    pi: PIController | None = None) -> PolicyController:
        """A controller from a parameter dict (e.g. from :func:`modelc.rl.train`)."""
        meta = tuple(sorted((str(k), str(v)) for k, v in (metadata or {}).items()))
        return cls(freeze(params), meta, pi or PIController())

    @property
    def params(self) -> dict:
        """The policy weights as a dict of numpy arrays."""
        return thaw(self.weights)

    @property
    def info(self) -> dict:
        """The metadata as a dict."""
        return dict(self.metadata)

    def init(self, stepper, rhs, start, args, tol, dt0):
        """The PI controller's first step, plus an empty history."""
        dt, pi_state, nfe = self.pi.init(stepper, rhs, start, args, tol, dt0)
        return dt, (pi_state, pol.initial_history(start.y0.dtype)), nfe

    def adapt_step_size(self, stepper, attempt, state, tol):
        """The deterministic policy decision (:func:`modelc.rl.policy.decide`)."""
        _, dt, y0, y1, err = attempt
        rtol, atol = tol
        params = {k: jnp.asarray(v) for k, v in self.params.items()}
        noise = jnp.zeros((len(pol.ACTIONS),), y0.dtype)
        accept, dt_next, state, *_ = pol.decide(params, self.pi, stepper, dt, y0, y1, err,
                                                state, rtol, atol, noise)
        return accept, dt_next, state

    def __repr__(self) -> str:
        info = self.info
        return (f"PolicyController(problem={info.get('problem', '?')!r}, "
                f"method={info.get('method', '?')!r})")
