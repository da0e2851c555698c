"""Generated modules of array models: array states and external functions.

A model with ``state x: array`` or ``external eps(x, t)`` is compiled to
functions of a *tuple* of states (one entry per state, each a scalar or an
array of the shape given in ``y0``) and of a mapping ``externals`` from each
declared external's name to a Python callable. The module defines, besides the
metadata of `modelc.codegen.module` (plus ``ARRAY_STATES``,
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

from dataclasses import replace

from ..ir import TIME, Model
from .module import (_def, _function, _header, _parameter_vector, _user_names, _unpack_parameters)
from .names import python_names
from .printer import JaxPrinter

__all__ = ["generate_array_module", "noise_functions"]

_SHAPED = '''def _shaped(value, like):
    """``value`` broadcast to the shape and dtype of the state ``like``."""
    return jnp.broadcast_to(jnp.asarray(value), jnp.shape(like)).astype(jnp.result_type(like))'''


def generate_array_module(model: Model, source_hash: str = "") -> str:
    """Return the source text of the generated module of an array model (module docstring)."""
    names = python_names(_user_names(model) + [e.name for e in model.externals])
    names[TIME.name] = "t"
    printer = JaxPrinter(names)
    arrays = tuple(s.name for s in model.states if s.array)
    meta = [
        f"ARRAY_STATES = {arrays!r}",
        f"EXTERNAL_NAMES = {tuple(e.name for e in model.externals)!r}",
        f"EXTERNAL_ARITIES = {tuple(e.arity for e in model.externals)!r}",
    ]
    signature = "{}(t, state, parameter, externals)"
    parts = [
        _header(model, source_hash) + "\n" + "\n".join(meta),
        _SHAPED,
        _parameter_vector(model, names, printer),
        _initial_state(model, names, printer),
        _with_externals(model, names, _function(
            "rhs", "The time derivatives, a tuple in the order of STATE_NAMES (each shaped as its state).",
            model, [d.expr for d in model.derivatives], names, printer, result=_tuple,
            signature=signature.format("rhs"))),
        _with_externals(model, names, _function(
            "observables", "The observables, in the order of OBSERVABLE_NAMES.",
            model, [o.expr for o in model.observes], names, printer,
            signature=signature.format("observables"), like="parameter")),
        _split(model, names, printer, signature.format("nonlinear")),
        noise_functions(model, names, printer),
    ]
    return "\n\n".join(parts) + "\n"


def _tuple(values: list[str]) -> str:
    return "(" + "".join(f"_shaped({v}, state[{i}]), " for i, v in enumerate(values)) + ")"


def _with_externals(model: Model, names: dict[str, str], function: str) -> str:
    """Bind each external the function calls to its local name, after the docstring."""
    lines = function.split("\n")
    body = "\n".join(lines[2:])
    binds = [f"    {names[e.name]} = externals[{e.name!r}]" for e in model.externals
             if f"{names[e.name]}(" in body]
    return "\n".join(lines[:2] + binds + lines[2:])


def _initial_state(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    body = _unpack_parameters(model, [s.initial for s in model.states if not s.array], names)
    for s in model.states:
        py = names[s.name]
        if s.array:
            body.append(f"{py} = jnp.asarray(given[{s.name!r}])")
        else:
            default = printer.doprint(s.initial)
            body.append(f"{py} = jnp.asarray(given[{s.name!r}] if {s.name!r} in given else {default}, "
                        "dtype=parameter.dtype)")
    body.append("return (" + "".join(f"{names[s.name]}, " for s in model.states) + ")")
    return _def("initial_state(parameter, given)",
                "Initial states, a tuple in the order of STATE_NAMES (array states from `given`).", body)


def _split(model: Model, names: dict[str, str], printer: JaxPrinter, signature: str) -> str:
    info = model.split
    if info is None or info.kind != "scalar":
        return "LINEAR_KIND = None\nLINEAR_CONSTANT = True"
    header = f"LINEAR_KIND = 'scalar'\nLINEAR_CONSTANT = {info.constant!r}"
    linear = _function("linear_operator", "The scalar a(t) with L = a(t)*I (rhs = a(t)*state + nonlinear).",
                       model, [info.entries[0][2]], names, printer, result=_scalar,
                       signature="linear_operator(t, parameter)", like="parameter")
    nonlinear = _with_externals(model, names, _function(
        "nonlinear", "N = rhs - a(t)*state, a tuple in the order of STATE_NAMES.",
        replace(model, lets=()), list(info.nonlinear), names, printer, result=_tuple,
        signature=signature))
    return header + "\n\n" + linear + "\n\n" + nonlinear


def _scalar(values: list[str]) -> str:
    return f"jnp.asarray({values[0]}, dtype=parameter.dtype)"


def noise_functions(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    """``NOISE_FORM`` and, for a model of the form ``der(x) = a(t) x + b(t) g``,
    ``drift_coefficient(t, parameter)`` (``a``) and ``noise_coefficient(t, parameter)`` (``b``)."""
    form = model.noise_form
    if form is None:
        return "NOISE_FORM = False"
    bare = replace(model, lets=())
    drift = _function("drift_coefficient", "a(t) of der(x) = a(t)*x + b(t)*g(x, t).", bare,
                      [form.drift], names, printer, result=_scalar,
                      signature="drift_coefficient(t, parameter)", like="parameter")
    noise = _function("noise_coefficient", "b(t) of der(x) = a(t)*x + b(t)*g(x, t).", bare,
                      [form.noise], names, printer, result=_scalar,
                      signature="noise_coefficient(t, parameter)", like="parameter")
    text = "NOISE_FORM = True\n\n" + drift + "\n\n" + noise
    if form.log_alpha is not None:
        text += "\n\n" + _function(
            "log_alpha", "log alpha(t) = int_0^t a(s) ds, in closed form.", bare, [form.log_alpha],
            names, printer, result=_scalar, signature="log_alpha(t, parameter)", like="parameter")
    return text
