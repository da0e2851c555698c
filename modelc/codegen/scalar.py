"""The generated module of a scalar ODE model: readable, pure JAX functions.

The module needs only ``jax`` and ``modelc.runtime`` to import. It defines:

- metadata: ``MODEL_NAME``, ``MODEL_DOC``, ``STATE_NAMES``, ``PARAMETER_NAMES``,
  ``OBSERVABLE_NAMES``, ``SIMULATE``, ``COMPILER_VERSION``, ``SOURCE_HASH``;
- ``parameter_vector(given)``: parameters as a vector, missing ones from their
  defaults (a default follows the earlier parameters it uses);
- ``initial_state(parameter, given)``: the initial state vector;
- ``rhs(t, state, parameter)``: the time derivative of the state vector; for
  a model with constraints kept for the numerical path (a DAE ``M y' = f``,
  docs/dae.md) the rows of the states in ``ALGEBRAIC_STATES`` are their
  constraint residuals ``lhs - rhs`` (`modelc.passes.constraints.rhs_rows`);
- ``ALGEBRAIC_STATES`` (the zero rows of the diagonal mass matrix ``M``; empty
  for an ODE) and ``CONSTRAINT_PATHS`` (``(state, "symbolic" | "numerical")``
  for each constraint);
- ``observables(t, state, parameter)``: the observables as a vector;
- ``jacobian(t, state, parameter)``: d(rhs)/d(state) (by ``jax.jacfwd`` of
  ``rhs`` where a derivative has no JAX form, `UnsupportedExpression`);
- ``N_PARAMETERS``, ``CONSTANT_NAMES`` and, when the simplify pass hoisted
  parameter-only subexpressions (``Model.constants``),
  ``with_constants(parameter)``: the parameter vector followed by those
  constants. The functions above that read a constant accept either vector
  and extend a plain one themselves, so passing ``with_constants(p)``
  computes the constants once instead of at every call;
- the semilinear split ``rhs = L u + N`` (`modelc.passes.split`):
  ``LINEAR_KIND`` ("diagonal", "matrix", "scalar" or None), ``LINEAR_CONSTANT``,
  ``linear_operator(t, parameter)`` (the diagonal vector, the matrix or the
  scalar) and ``nonlinear(t, state, parameter)``; without a split only
  ``LINEAR_KIND = None``;
- ``NOISE_FORM`` and the coefficients of ``der(x) = a(t) x + b(t) g``
  (`Expressions.noise_functions`);
- for a model with events, the event functions of `modelc.codegen.events`.

Model names are printed as ``name_`` (`modelc.codegen.names`); user strings
(the model's doc string) appear only as ``repr`` literals.
"""

from __future__ import annotations

import sympy

from ..ir import Model
from ..passes.constraints import algebraic_states, rhs_rows
from ..passes.jacobian import jacobian_entries
from .delays import delay_functions, has_delays
from .emit import INDENT, function, header, scatter, stack
from .events import event_functions
from .expressions import VECTOR_DEFAULTS_MIN, Expressions, scalar
from .names import Namespace
from .printer import JaxPrinter, UnsupportedExpression

__all__ = ["generate_scalar_module"]

_ARGS = ("t", "state", "parameter")


def generate_scalar_module(model: Model, source_hash: str = "", dynamics=None) -> str:
    """Return the source text of the generated module of a scalar ODE model.

    ``dynamics(ex) -> (rhs text, jacobian text)``, when given, replaces the scalar
    ``rhs`` and ``jacobian`` (the structured network code of `modelc.codegen.network`).
    """
    names = Namespace(model.declared_names)
    ex = Expressions(model, names, JaxPrinter(names.map))
    if has_delays(model):  # delay(expr, tau): rhs reads the solver's history (codegen.delays)
        return _delay_module(ex, source_hash)
    if dynamics is not None:
        rhs, jacobian = dynamics(ex)
    else:
        rhs = ex.compute("rhs", _ARGS, _rhs_doc(model), rhs_rows(model))
        jacobian = _jacobian(ex)
    parts = [
        header(model, source_hash),
        ex.parameter_vector(),
        _with_constants(ex),
        _initial_state(ex),
        _constraints(model),
        rhs,
        ex.compute("observables", _ARGS, "The observables, in the order of OBSERVABLE_NAMES.",
                   [o.expr for o in model.observes]),
        jacobian,
        _split(ex),
        ex.noise_functions(),
        event_functions(ex),  # empty for a model without events (modelc.codegen.events)
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _delay_module(ex: Expressions, source_hash: str) -> str:
    """The module of a model with delays: ``rhs(t, state, parameter, history)`` and the
    lags, the observables and events (`modelc.codegen.delays`); no symbolic Jacobian (the solvers differentiate
    the rhs through the history), no semilinear split, no noise form."""
    model = ex.model
    parts = [
        header(model, source_hash),
        ex.parameter_vector(),
        _with_constants(ex),
        _initial_state(ex),
        delay_functions(ex),  # rhs, observables and event functions reading the history
        "LINEAR_KIND = None\nLINEAR_CONSTANT = True",
        "NOISE_FORM = False",
    ]
    return "\n\n".join(parts) + "\n"


def _with_constants(ex: Expressions) -> str:
    """``with_constants(parameter)``: the parameter vector extended by the hoisted constants."""
    model = ex.model
    if not model.constants:
        return function("with_constants", ["parameter"],
                        "No constants are hoisted: the parameter vector itself.", ["return parameter"])
    exprs = [e for _, e in model.constants]
    body = ["if jnp.shape(parameter)[0] != N_PARAMETERS:",
            INDENT + "return parameter  # already extended"]
    body += ex.unpack_parameters(exprs)
    replacements, reduced = ex.reduce(exprs)
    body += ex.assignments(replacements + [(sympy.Symbol(name, real=True), value)
                                           for (name, _), value in zip(model.constants, reduced)])
    items = [ex.names.map[name] for name, _ in model.constants]
    body.append(f"return jnp.concatenate([parameter, {stack(items, 'parameter')}])")
    return function("with_constants", ["parameter"],
                    "The parameter vector followed by the constants CONSTANT_NAMES (parameter-only "
                    "subexpressions, computed once per solve); an extended vector is returned as is.",
                    body)


def _constraints(model: Model) -> str:
    """``ALGEBRAIC_STATES`` and ``CONSTRAINT_PATHS`` (module docstring)."""
    return (f"ALGEBRAIC_STATES = {algebraic_states(model)!r}\n"
            f"CONSTRAINT_PATHS = {tuple(model.constraint_paths)!r}")


def _rhs_doc(model: Model) -> str:
    """The docstring of ``rhs``: the rows of an ODE or of a DAE."""
    if not model.constraints:
        return "The time derivative d(state)/dt, in the order of STATE_NAMES."
    return ("f of M d(state)/dt = f, in the order of STATE_NAMES: d(state)/dt, and for the "
            "states in ALGEBRAIC_STATES (M = 0) their constraint residual lhs - rhs.")


def _initial_state(ex: Expressions) -> str:
    model, names = ex.model, ex.names.map
    if len(model.states) >= VECTOR_DEFAULTS_MIN and all(
            s.initial.is_Number and s.initial.is_finite for s in model.states):
        return _vector_initial_state(tuple(float(s.initial) for s in model.states))
    body = ex.unpack_parameters([s.initial for s in model.states])
    for s in model.states:
        initial = ex.printer.doprint(s.initial)
        body.append(f"{names[s.name]} = given[{s.name!r}] if {s.name!r} in given else {initial}")
    items = [f"jnp.asarray({names[s.name]})" for s in model.states]
    body.append("return " + stack(items, "parameter"))
    return function("initial_state", ["parameter", "given"],
                    "Initial state in the order of STATE_NAMES; states missing from `given` take "
                    "their initial values.", body)


def _vector_initial_state(initial: tuple[float, ...]) -> str:
    """``INITIAL_VALUES`` and an ``initial_state`` that overwrites the given entries (one
    array constant instead of one per state: `VECTOR_DEFAULTS_MIN`)."""
    body = ["values = jnp.asarray(INITIAL_VALUES, dtype=parameter.dtype)",
            "keys = [i for i, name in enumerate(STATE_NAMES) if name in given]",
            "if not keys:",
            "    return values",
            "new = jnp.stack([jnp.asarray(given[STATE_NAMES[i]]) for i in keys]).astype(parameter.dtype)",
            "return values.at[jnp.asarray(keys)].set(new)"]
    return (f"INITIAL_VALUES = {initial!r}\n\n"
            + function("initial_state", ["parameter", "given"],
                       "Initial state in the order of STATE_NAMES; states missing from `given` take "
                       "their initial values.", body))


def _jacobian(ex: Expressions) -> str:
    """``jacobian(t, state, parameter)``: dense d(rhs)/d(state) filled from its nonzeros."""
    entries = jacobian_entries(ex.model)
    n = len(ex.model.states)
    rows = tuple(e.row for e in entries)
    cols = tuple(e.col for e in entries)
    indices = f"JACOBIAN_ROWS = {rows!r}\nJACOBIAN_COLS = {cols!r}\n"
    doc = ("d(rhs)/d(state), shape (n, n); JACOBIAN_ROWS/COLS list its structurally "
           "nonzero entries.")
    if not entries:
        body = [f"return jnp.zeros(({n}, {n}), dtype=state.dtype)"]
        return indices + "\n" + function("jacobian", _ARGS, doc, body)
    try:
        text = ex.compute("jacobian", _ARGS, doc, [e.expr for e in entries],
                          result=scatter(n, "JACOBIAN_ROWS", "JACOBIAN_COLS", "state"))
    except UnsupportedExpression:  # a derivative with no JAX form: differentiate the rhs instead
        doc += " Computed by forward-mode differentiation of rhs."
        text = function("jacobian", _ARGS, doc, ["return jax.jacfwd(rhs, argnums=1)(t, state, parameter)"])
    return indices + "\n" + text


def _split(ex: Expressions) -> str:
    """``LINEAR_KIND``, ``LINEAR_CONSTANT``, ``linear_operator`` and ``nonlinear``."""
    info, n = ex.model.split, len(ex.model.states)
    if info is None:
        return "LINEAR_KIND = None\nLINEAR_CONSTANT = True"
    text = f"LINEAR_KIND = {info.kind!r}\nLINEAR_CONSTANT = {info.constant!r}"
    values = [e[2] for e in info.entries]
    if info.kind == "diagonal":
        diag = {i: v for i, _, v in info.entries}
        values = [diag.get(i, sympy.Integer(0)) for i in range(n)]
        result, doc = None, "The diagonal of L (rhs = L*state + nonlinear), shape (n,)."
    elif info.kind == "matrix":
        rows = tuple(e[0] for e in info.entries)
        cols = tuple(e[1] for e in info.entries)
        text += f"\nLINEAR_ROWS = {rows!r}\nLINEAR_COLS = {cols!r}"
        doc = "The matrix L (rhs = L @ state + nonlinear), shape (n, n)."
        result = scatter(n, "LINEAR_ROWS", "LINEAR_COLS", "parameter")
    else:
        doc = "The scalar a(t) with L = a(t)*I (rhs = a(t)*state + nonlinear)."
        result = scalar
    linear = ex.compute("linear_operator", ["t", "parameter"], doc, values, result=result,
                        like="parameter")
    nonlinear = ex.compute("nonlinear", _ARGS, "N = rhs - L*state, in the order of STATE_NAMES.",
                           list(info.nonlinear), lets=False)
    return text + "\n\n" + linear + "\n\n" + nonlinear
