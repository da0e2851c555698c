"""Generated modules of array models: array states and external functions.

A model with ``state x: array`` or ``external eps(x, t)`` is compiled to
functions of a *tuple* of states (one entry per state, each a scalar or an
array of the shape given in ``y0``) and of a mapping ``externals`` from each
declared external's name to a Python callable. The module defines, besides the
metadata of `modelc.codegen.emit.header` (plus ``ARRAY_STATES``,
``EXTERNAL_NAMES``, ``EXTERNAL_ARITIES``):

- ``parameter_vector(given)`` as for scalar models;
- ``initial_state(parameter, given)``: the tuple of initial values (array
  states only from ``given``; `modelc.compiled` checks that they are there);
- ``rhs(t, state, parameter, externals)``: the tuple of time derivatives, each
  with its state's shape and dtype;
- ``observables(t, state, parameter, externals)`` (scalars only);
- the split ``L = a(t) I`` only (``LINEAR_KIND`` "scalar" or None):
  ``linear_operator(t, parameter)`` and ``nonlinear(t, state, parameter, externals)``;
- ``NOISE_FORM`` and, when True, ``drift_coefficient(t, parameter)`` and
  ``noise_coefficient(t, parameter)``: ``a`` and ``b`` of ``der(x) = a x + b g``,
  and ``log_alpha(t, parameter)`` (``int_0^t a``) when it has a closed form.

There is no symbolic ``jacobian`` (an external has no symbolic derivative):
stiff methods differentiate the flattened rhs with ``jax.jacfwd``.
`modelc.compiled` flattens the tuple into one vector for the solvers. An
external is called through the local name bound from ``externals[<name>]``,
where ``<name>`` is the declared identifier as a ``repr`` literal: no user
text is spliced into code.
"""

from __future__ import annotations

from sympy.core.function import AppliedUndef

from ..ir import Model
from .emit import function, header
from .expressions import Expressions, needed_lets, scalar
from .names import Namespace
from .printer import JaxPrinter

__all__ = ["generate_array_module"]

_SHAPED = '''def _shaped(value, like):
    """``value`` broadcast to the shape and dtype of the state ``like``."""
    return jnp.broadcast_to(jnp.asarray(value), jnp.shape(like)).astype(jnp.result_type(like))'''

_ARGS = ("t", "state", "parameter", "externals")


def generate_array_module(model: Model, source_hash: str = "") -> str:
    """Return the source text of the generated module of an array model (module docstring)."""
    names = Namespace(model.declared_names)
    ex = Expressions(model, names, JaxPrinter(names.map))
    arrays = tuple(s.name for s in model.states if s.array)
    meta = [
        f"ARRAY_STATES = {arrays!r}",
        f"EXTERNAL_NAMES = {tuple(e.name for e in model.externals)!r}",
        f"EXTERNAL_ARITIES = {tuple(e.arity for e in model.externals)!r}",
    ]
    derivatives = [d.expr for d in model.derivatives]
    observes = [o.expr for o in model.observes]
    parts = [
        header(model, source_hash) + "\n" + "\n".join(meta),
        _SHAPED,
        ex.parameter_vector(),
        _initial_state(ex),
        ex.compute("rhs", _ARGS,
                   "The time derivatives, a tuple in the order of STATE_NAMES (each shaped as its state).",
                   derivatives, result=_tuple, preamble=_bind_externals(ex, derivatives)),
        ex.compute("observables", _ARGS, "The observables, in the order of OBSERVABLE_NAMES.",
                   observes, like="parameter", preamble=_bind_externals(ex, observes)),
        _split(ex),
        ex.noise_functions(),
    ]
    return "\n\n".join(parts) + "\n"


def _tuple(values: list[str]) -> str:
    return "(" + "".join(f"_shaped({v}, state[{i}]), " for i, v in enumerate(values)) + ")"


def _bind_externals(ex: Expressions, outputs, lets: bool = True) -> list[str]:
    """Lines binding each external that ``outputs`` (and the lets they need) call to its local name."""
    exprs = list(outputs) + ([le.expr for le in needed_lets(ex.model, outputs)] if lets else [])
    called = {node.func.__name__ for e in exprs for node in e.atoms(AppliedUndef)}
    return [f"{ex.names.map[e.name]} = externals[{e.name!r}]"
            for e in ex.model.externals if e.name in called]


def _initial_state(ex: Expressions) -> str:
    model, names = ex.model, ex.names.map
    body = ex.unpack_parameters([s.initial for s in model.states if not s.array])
    for s in model.states:
        py = names[s.name]
        if s.array:
            body.append(f"{py} = jnp.asarray(given[{s.name!r}])")
        else:
            default = ex.printer.doprint(s.initial)
            body.append(f"{py} = jnp.asarray(given[{s.name!r}] if {s.name!r} in given else {default}, "
                        "dtype=parameter.dtype)")
    body.append("return (" + "".join(f"{names[s.name]}, " for s in model.states) + ")")
    return function("initial_state", ["parameter", "given"],
                    "Initial states, a tuple in the order of STATE_NAMES (array states from `given`).",
                    body)


def _split(ex: Expressions) -> str:
    info = ex.model.split
    if info is None or info.kind != "scalar":
        return "LINEAR_KIND = None\nLINEAR_CONSTANT = True"
    text = f"LINEAR_KIND = 'scalar'\nLINEAR_CONSTANT = {info.constant!r}"
    linear = ex.compute("linear_operator", ["t", "parameter"],
                        "The scalar a(t) with L = a(t)*I (rhs = a(t)*state + nonlinear).",
                        [info.entries[0][2]], result=scalar, like="parameter")
    nonlinear = ex.compute("nonlinear", _ARGS, "N = rhs - a(t)*state, a tuple in the order of STATE_NAMES.",
                           list(info.nonlinear), result=_tuple, lets=False,
                           preamble=_bind_externals(ex, info.nonlinear, lets=False))
    return text + "\n\n" + linear + "\n\n" + nonlinear
