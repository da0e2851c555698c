"""Learned step-size control: a policy controller, its storage and its training.

Inference (:class:`PolicyController`, :func:`load`, :func:`default_policy`)
needs only jax and numpy; training (:func:`train`) needs optax
(``pip install modelc[rl]``).
"""

from .controller import PolicyController
from .store import as_controller, default_policy, load, load_params, save

__all__ = ["PolicyController", "load", "load_params", "save", "default_policy",
           "as_controller", "train", "Episodes"]


def __getattr__(name):
    if name in ("train", "Episodes"):
        from . import training as _train

        return getattr(_train, name)
    raise AttributeError(name)
