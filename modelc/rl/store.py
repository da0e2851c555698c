"""Policies on disk: small ``.npz`` files of weights plus JSON metadata.

Only numpy is needed to read one; :func:`load` returns a
:class:`~modelc.rl.controller.PolicyController` ready for ``m.solve``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from . import policy as pol
from .controller import PolicyController

__all__ = ["save", "load", "load_params", "default_policy", "as_controller", "FORMAT_VERSION",
           "DEFAULT_POLICY"]

FORMAT_VERSION = 1
DEFAULT_POLICY = "default_policy.npz"


def save(path, params, metadata: dict | None = None) -> Path:
    """Write policy weights ``params`` (dict of arrays) and ``metadata`` to ``path``.

    The metadata always records the feature list, the action list and the
    format version; add the training problem, method, tolerance range and
    reward weights.  Returns the path written.
    """
    meta = {"format_version": FORMAT_VERSION, "features": list(pol.FEATURES),
            "actions": list(pol.ACTIONS)}
    meta.update(metadata or {})
    arrays = {f"param_{k}": np.asarray(v, np.float64) for k, v in params.items()}
    path = Path(path)
    with open(path, "wb") as fh:  # np.savez would append .npz to other suffixes
        np.savez(fh, metadata=np.asarray(json.dumps(meta, sort_keys=True)), **arrays)
    return path


def load_params(path) -> tuple[dict, dict]:
    """Read ``(params, metadata)`` from a policy file; checks version and features."""
    with np.load(Path(path), allow_pickle=False) as data:
        meta = json.loads(str(data["metadata"]))
        params = {k[len("param_"):]: np.array(data[k]) for k in data.files
                  if k.startswith("param_")}
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: policy format version {meta.get('format_version')!r}, "
                         f"this modelc reads version {FORMAT_VERSION}; retrain the policy")
    if tuple(meta.get("features", ())) != pol.FEATURES:
        raise ValueError(f"{path}: the policy was trained on other features "
                         f"({meta.get('features')}); retrain it with this modelc")
    return params, meta


def load(path) -> PolicyController:
    """A :class:`PolicyController` from a policy file (see :func:`save`)."""
    params, meta = load_params(path)
    meta.pop("features", None)
    meta.pop("actions", None)
    return PolicyController.from_params(params, meta)


def default_policy() -> PolicyController:
    """The pretrained policy shipped with modelc (``controller="rl"``), trained on
    random three-body problems with Tsit5; see ``benchmarks/train_default_policy.py``."""
    with resources.as_file(resources.files(__package__) / DEFAULT_POLICY) as path:
        return load(path)


def as_controller(spec):
    """Resolve a ``controller=`` argument: None, ``"pi"``, ``"rl"`` (the shipped
    policy), a path to a policy ``.npz`` file, or a controller instance."""
    from ..solvers.controllers import AbstractController, PIController

    if spec is None or isinstance(spec, AbstractController):
        return spec
    if isinstance(spec, (str, Path)):
        if str(spec).lower() == "pi":
            return PIController()
        if str(spec).lower() == "rl":
            return default_policy()
        if Path(spec).is_file():
            return load(spec)
        raise ValueError(f"controller {str(spec)!r}: not 'pi', 'rl' or an existing policy "
                         "file (.npz written by modelc.rl.save or `modelc rl train`)")
    raise TypeError(f"controller must be None, 'pi', 'rl', a policy file path or a "
                    f"controller instance, got {type(spec).__name__}")
