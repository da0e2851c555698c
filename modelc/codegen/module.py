"""Assemble a readable Python module of pure JAX functions from the model IR.

The module needs only ``jax`` and ``modelc.runtime`` to import. It defines:

- metadata: ``MODEL_NAME``, ``MODEL_DOC``, ``STATE_NAMES``, ``PARAMETER_NAMES``,
  ``OBSERVABLE_NAMES``, ``SIMULATE``, ``COMPILER_VERSION``, ``SOURCE_HASH``;
- ``parameter_vector(given)``: parameters as a vector, missing ones from their
  defaults (a default follows the earlier parameters it uses);
- ``initial_state(parameter, given)``: the initial state vector;
- ``rhs(t, state, parameter)``: the time derivative of the state vector;
- ``observables(t, state, parameter)``: the observables as a vector;
- ``jacobian(t, state, parameter)``: d(rhs)/d(state);
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
  (`modelc.codegen.arrays.noise_functions`).

Models with array states or external functions go to `modelc.codegen.arrays`.

Every identifier comes from `names.python_names`; user strings (the model's
doc string) appear only as ``repr`` literals.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import networkx as nx
import sympy

from .. import __version__
from ..ir import TIME, Model
from ..passes.inline import let_dependency_graph
from ..passes.jacobian import jacobian_entries
from .names import python_names
from .printer import JaxPrinter

__all__ = ["generate_module"]

_INDENT = "    "


def generate_module(model: Model, source_hash: str = "") -> str:
    """Return the source text of the generated module for ``model``
    (a model with fields goes to `modelc.codegen.fields`)."""
    if model.fields:
        from .fields import generate_field_module

        return generate_field_module(model, source_hash)
    if model.has_arrays:
        from .arrays import generate_array_module

        return generate_array_module(model, source_hash)
    names = python_names(_user_names(model))
    names[TIME.name] = "t"
    names.update({name: name for name, _ in model.constants})
    printer = JaxPrinter(names)
    parts = [
        _header(model, source_hash),
        _parameter_vector(model, names, printer),
        _with_constants(model, names, printer),
        _initial_state(model, names, printer),
        _function(
            "rhs",
            "The time derivative d(state)/dt, in the order of STATE_NAMES.",
            model,
            [d.expr for d in model.derivatives],
            names,
            printer,
        ),
        _function(
            "observables",
            "The observables, in the order of OBSERVABLE_NAMES.",
            model,
            [o.expr for o in model.observes],
            names,
            printer,
        ),
    ]
    parts.append(_jacobian(model, names, printer))
    parts.append(_split(model, names, printer))
    from .arrays import noise_functions

    parts.append(noise_functions(model, names, printer))
    return "\n\n".join(parts) + "\n"


def _split(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    """``LINEAR_KIND``, ``LINEAR_CONSTANT``, ``linear_operator`` and ``nonlinear``."""
    info = model.split
    if info is None:
        return "LINEAR_KIND = None\nLINEAR_CONSTANT = True"
    n = len(model.states)
    header = f"LINEAR_KIND = {info.kind!r}\nLINEAR_CONSTANT = {info.constant!r}"
    values = [e[2] for e in info.entries]
    if info.kind == "diagonal":
        diag = {i: v for i, _, v in info.entries}
        values = [diag.get(i, sympy.Integer(0)) for i in range(n)]
        result, doc = None, "The diagonal of L (rhs = L*state + nonlinear), shape (n,)."
    elif info.kind == "matrix":
        rows = tuple(e[0] for e in info.entries)
        cols = tuple(e[1] for e in info.entries)
        header += f"\nLINEAR_ROWS = {rows!r}\nLINEAR_COLS = {cols!r}"
        doc = "The matrix L (rhs = L @ state + nonlinear), shape (n, n)."
        result = _scatter(n, "LINEAR_ROWS", "LINEAR_COLS", "parameter")
    else:
        doc = "The scalar a(t) with L = a(t)*I (rhs = a(t)*state + nonlinear)."
        result = lambda vals: f"jnp.asarray({vals[0]}, dtype=parameter.dtype)"  # noqa: E731
    linear = _function("linear_operator", doc, model, values, names, printer, result=result,
                       signature="linear_operator(t, parameter)", like="parameter")
    nonlinear = _function("nonlinear", "N = rhs - L*state, in the order of STATE_NAMES.",
                          replace(model, lets=()), list(info.nonlinear), names, printer)
    return header + "\n\n" + linear + "\n\n" + nonlinear


def _jacobian(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    """``jacobian(t, state, parameter)``: dense d(rhs)/d(state) filled from its nonzeros."""
    entries = jacobian_entries(model)
    n = len(model.states)
    rows = tuple(e.row for e in entries)
    cols = tuple(e.col for e in entries)
    header = [
        f"JACOBIAN_ROWS = {rows!r}",
        f"JACOBIAN_COLS = {cols!r}",
        "",
    ]
    doc = ("d(rhs)/d(state), shape (n, n); JACOBIAN_ROWS/COLS list its structurally "
           "nonzero entries.")
    if not entries:
        body = [f"return jnp.zeros(({n}, {n}), dtype=state.dtype)"]
        return "\n".join(header) + "\n" + _def("jacobian(t, state, parameter)", doc, body)
    try:
        function = _function("jacobian", doc, model, [e.expr for e in entries], names, printer,
                             result=_scatter(n))
    except ValueError:  # a derivative with no JAX form: differentiate the rhs instead
        doc += " Computed by forward-mode differentiation of rhs."
        body = ["return jax.jacfwd(rhs, argnums=1)(t, state, parameter)"]
        function = _def("jacobian(t, state, parameter)", doc, body)
    return "\n".join(header) + "\n" + function


def _scatter(n: int, rows="JACOBIAN_ROWS", cols="JACOBIAN_COLS", like="state"):
    def result(values: list[str]) -> str:
        return (f"jnp.zeros(({n}, {n}), dtype={like}.dtype).at[{rows}, {cols}]"
                f".set(jnp.stack([{', '.join(values)}]).astype({like}.dtype))")
    return result


def _user_names(model: Model) -> list[str]:
    groups = (model.parameters, model.states, model.lets, model.observes)
    return [item.name for group in groups for item in group]


def _header(model: Model, source_hash: str) -> str:
    simulate = {k: v for k, v in asdict(model.simulate).items() if k != "span" and v is not None}
    lines = [
        f'"""Generated by modelc {__version__} from model {model.name!r}. Do not edit."""',
        "",
        "import jax",
        "import jax.numpy as jnp",
        "",
        "from modelc import runtime  # noqa: F401  (float64 by default)",
        "",
        f"MODEL_NAME = {model.name!r}",
        f"MODEL_DOC = {model.doc!r}",
        f"STATE_NAMES = {model.state_names!r}",
        f"PARAMETER_NAMES = {model.parameter_names!r}",
        f"N_PARAMETERS = {len(model.parameters)}",
        f"CONSTANT_NAMES = {tuple(name for name, _ in model.constants)!r}",
        f"OBSERVABLE_NAMES = {model.observe_names!r}",
        f"SIMULATE = {simulate!r}",
        f"COMPILER_VERSION = {__version__!r}",
        f"SOURCE_HASH = {source_hash!r}",
    ]
    return "\n".join(lines)


def _stack(items: list[str], empty_like: str) -> str:
    if not items:
        return f"jnp.zeros((0,), dtype={empty_like}.dtype)"
    return "jnp.stack([" + ", ".join(items) + f"]).astype({empty_like}.dtype)"


def _parameter_vector(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    body = []
    for p in model.parameters:
        py = names[p.name]
        default = printer.doprint(p.default)
        body.append(f"{py} = jnp.asarray(given[{p.name!r}]) if {p.name!r} in given else {default}")
    items = [f"jnp.asarray({names[p.name]})" for p in model.parameters]
    body.append("return " + ("jnp.stack([" + ", ".join(items) + "])" if items else "jnp.zeros((0,))"))
    return _def(
        "parameter_vector(given)",
        "Parameters in the order of PARAMETER_NAMES; missing ones take their defaults.",
        body,
    )


def _with_constants(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    """``with_constants(parameter)``: the parameter vector extended by the hoisted constants."""
    if not model.constants:
        return _def("with_constants(parameter)",
                    "No constants are hoisted: the parameter vector itself.", ["return parameter"])
    exprs = [e for _, e in model.constants]
    body = ["if jnp.shape(parameter)[0] != N_PARAMETERS:",
            _INDENT + "return parameter  # already extended"]
    body += _unpack_parameters(model, exprs, names)
    temporaries = _temporary_symbols(names)
    replacements, reduced = _cse(exprs, temporaries)
    printer.add_names({tmp.name: tmp.name for tmp, _ in replacements})
    assignments = replacements + [(sympy.Symbol(name, real=True), value)
                                  for (name, _), value in zip(model.constants, reduced)]
    for target, value in _dependency_order(assignments):
        body.append(f"{printer.doprint(target)} = {printer.doprint(value)}")
    items = [names[name] for name, _ in model.constants]
    body.append(f"return jnp.concatenate([parameter, {_stack(items, 'parameter')}])")
    return _def("with_constants(parameter)",
                "The parameter vector followed by the constants CONSTANT_NAMES (parameter-only "
                "subexpressions, computed once per solve); an extended vector is returned as is.",
                body)


def _initial_state(model: Model, names: dict[str, str], printer: JaxPrinter) -> str:
    exprs = [s.initial for s in model.states]
    body = _unpack_parameters(model, exprs, names)
    for s in model.states:
        py = names[s.name]
        body.append(f"{py} = given[{s.name!r}] if {s.name!r} in given else {printer.doprint(s.initial)}")
    items = [f"jnp.asarray({names[s.name]})" for s in model.states]
    body.append("return " + _stack(items, "parameter"))
    return _def(
        "initial_state(parameter, given)",
        "Initial state in the order of STATE_NAMES; states missing from `given` take their initial values.",
        body,
    )


def _function(fname, doc, model, outputs, names, printer, result=None, signature=None,
              like="state") -> str:
    lets = _needed_lets(model, outputs)
    let_exprs = [le.expr for le in lets]
    body = _unpack_states(model, let_exprs + outputs, names)
    body += _unpack_parameters(model, let_exprs + outputs, names)
    body += _unpack_constants(model, let_exprs + outputs, names)
    temporaries = _temporary_symbols(names)
    replacements, reduced = _cse(let_exprs + outputs, temporaries)
    printer.add_names({tmp.name: tmp.name for tmp, _ in replacements})
    assignments = replacements + [
        (sympy.Symbol(le.name, real=True), value) for le, value in zip(lets, reduced[: len(lets)])
    ]
    for target, value in _dependency_order(assignments):
        body.append(f"{printer.doprint(target)} = {printer.doprint(value)}")
    results = [printer.doprint(e) for e in reduced[len(lets):]]
    body.append("return " + (result(results) if result else _stack(results, like)))
    return _def(signature or f"{fname}(t, state, parameter)", doc, body)


def _cse(exprs, temporaries):
    """Common subexpressions as temporaries; trivial ones (``-y``, ``2*x``) are inlined back."""
    replacements, reduced = sympy.cse(exprs, symbols=temporaries, order="none")
    inline: dict = {}
    kept = []
    for tmp, value in replacements:
        value = value.xreplace(inline)
        if value.count_ops() <= 1 and len(value.free_symbols) <= 1:
            inline[tmp] = value
        else:
            kept.append((tmp, value))
    return kept, [e.xreplace(inline) for e in reduced]


def _dependency_order(assignments):
    """Assignments ``(symbol, value)`` sorted so each comes after those it uses (stable)."""
    position = {target.name: i for i, (target, _) in enumerate(assignments)}
    graph = nx.DiGraph()
    graph.add_nodes_from(position)
    for target, value in assignments:
        for s in value.free_symbols:
            if s.name in position:
                graph.add_edge(s.name, target.name)
    order = nx.lexicographical_topological_sort(graph, key=position.__getitem__)
    return [assignments[position[name]] for name in order]


def _temporary_symbols(names: dict[str, str]):
    taken = set(names) | set(names.values())
    i = 0
    while True:
        name = f"_c{i}"
        i += 1
        if name not in taken:
            yield sympy.Symbol(name, real=True)


def _needed_lets(model: Model, exprs: list[sympy.Expr]):
    """The lets that ``exprs`` use, directly or through other lets, in dependency order."""
    by_name = {le.name: le for le in model.lets}
    graph = let_dependency_graph(model)
    wanted = {s.name for e in exprs for s in e.free_symbols if s.name in by_name}
    closure = set(wanted)
    for name in wanted:
        closure |= nx.ancestors(graph, name)
    order = list(nx.lexicographical_topological_sort(graph.subgraph(closure)))
    return [by_name[n] for n in order]


def _used(exprs) -> set[str]:
    return {s.name for e in exprs for s in e.free_symbols}


def _unpack_states(model: Model, exprs, names) -> list[str]:
    used = _used(exprs)
    return [
        f"{names[s.name]} = state[{i}]" for i, s in enumerate(model.states) if s.name in used
    ]


def _unpack_parameters(model: Model, exprs, names) -> list[str]:
    used = _used(exprs)
    return [
        f"{names[p.name]} = parameter[{i}]"
        for i, p in enumerate(model.parameters)
        if p.name in used
    ]


def _unpack_constants(model: Model, exprs, names) -> list[str]:
    """Lines reading the hoisted constants that ``exprs`` use from the extended parameter vector."""
    used = _used(exprs)
    n = len(model.parameters)
    lines = [f"{names[name]} = parameter[{n + j}]"
             for j, (name, _) in enumerate(model.constants) if name in used]
    return ["parameter = with_constants(parameter)"] + lines if lines else []


def _def(signature: str, doc: str, body: list[str]) -> str:
    lines = [f"def {signature}:", f'{_INDENT}"""{doc}"""']
    lines += [_INDENT + line for line in body]
    return "\n".join(lines)
