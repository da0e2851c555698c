"""Learned step-size control: a policy controller, its storage and its training.

Inference (:class:`PolicyController`, :func:`load`, :func:`default_policy`)
needs only jax and numpy; training (:func:`train`) needs optax
(``pip install modelc[rl]``).  Names are imported lazily, so the CLI can
register ``modelc rl`` without importing JAX.
"""

from importlib import import_module

_NAMES = {
    "PolicyController": "controller",
    "load": "store", "load_params": "store", "save": "store", "default_policy": "store",
    "as_controller": "store",
    "train": "training", "Episodes": "training", "evaluate": "training",
    "from_model": "problems",
}

__all__ = sorted(_NAMES)  # noqa: PLE0605  (the lazily loaded names)


def __getattr__(name):
    if name in _NAMES:
        return getattr(import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
