"""Function bodies from IR expressions: unpacking, lets, common subexpressions.

`Expressions` prints the functions that the scalar and array modules share
(``parameter_vector``, the noise-form coefficients) and `Expressions.compute`,
the body of any function that evaluates a list of expressions of the model.
`cse` and `dependency_order` serve the field module as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from ..graphorder import ancestors, topological_order
from ..ir import Model
from ..passes.inline import let_edges
from .emit import function, stack
from .names import Namespace
from .printer import JaxPrinter

__all__ = ["Expressions", "cse", "dependency_order", "needed_lets", "scalar", "VECTOR_DEFAULTS_MIN"]

VECTOR_DEFAULTS_MIN = 64
"""Models with at least this many parameters, all with numeric defaults, get one array of
defaults in ``parameter_vector``: a stack of one constant per parameter took 2.6 s of XLA
compile at 1,600 parameters (issue 16); small models keep the readable per-name form."""


def _vector_defaults(defaults: tuple[float, ...]) -> str:
    """``PARAMETER_DEFAULTS`` and a ``parameter_vector`` that overwrites the given entries
    (the constant is strongly typed: the default float dtype)."""
    body = ["values = jnp.asarray(PARAMETER_DEFAULTS)",
            "keys = [i for i, name in enumerate(PARAMETER_NAMES) if name in given]",
            "if not keys:",
            "    return values",
            "new = jnp.stack([jnp.asarray(given[PARAMETER_NAMES[i]]) for i in keys])",
            "dtype = jnp.result_type(values, new)",
            "return values.astype(dtype).at[jnp.asarray(keys)].set(new.astype(dtype))"]
    return (f"PARAMETER_DEFAULTS = {defaults!r}\n\n"
            + function("parameter_vector", ["given"],
                       "Parameters in the order of PARAMETER_NAMES; missing ones take their defaults.",
                       body))


def cse(exprs, temporaries):
    """Common subexpressions of ``exprs`` as ``(replacements, reduced)`` (`sympy.cse`);
    trivial ones (``-y``, ``2*x``) are inlined back."""
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


def dependency_order(assignments):
    """Assignments ``(symbol, value)`` sorted so each comes after those it uses (stable)."""
    position = {target.name: i for i, (target, _) in enumerate(assignments)}
    edges = [(s.name, target.name) for target, value in assignments
             for s in value.free_symbols if s.name in position]
    return [assignments[position[name]] for name in topological_order(list(position), edges)]


def needed_lets(model: Model, exprs: Sequence[sympy.Expr]):
    """The lets that ``exprs`` use, directly or through other lets, in dependency order."""
    by_name = {le.name: le for le in model.lets}
    edges = let_edges(model)
    wanted = {s.name for e in exprs for s in e.free_symbols if s.name in by_name}
    closure = ancestors(edges, wanted)
    names = sorted(closure)  # networkx's lexicographical order, which the generated code keeps
    order = topological_order(names, [(a, b) for a, b in edges if a in closure and b in closure],
                              key=lambda name: name)
    return [by_name[n] for n in order]


def _used(exprs) -> set[str]:
    return {s.name for e in exprs for s in e.free_symbols}


def scalar(values: list[str]) -> str:
    """A result builder: the one printed value as a scalar in the parameters' dtype."""
    return f"jnp.asarray({values[0]}, dtype=parameter.dtype)"


@dataclass
class Expressions:
    """Prints functions of a scalar or array model's expressions.

    Args:
        model: the model.
        names: its `Namespace`.
        printer: the printer, mapping symbols through ``names.map``.
    """

    model: Model
    names: Namespace
    printer: JaxPrinter

    def unpack_states(self, exprs) -> list[str]:
        """Lines reading the states that ``exprs`` use from ``state``."""
        used = _used(exprs)
        return [f"{self.names.map[s.name]} = state[{i}]"
                for i, s in enumerate(self.model.states) if s.name in used]

    def unpack_parameters(self, exprs) -> list[str]:
        """Lines reading the parameters that ``exprs`` use from ``parameter``."""
        used = _used(exprs)
        return [f"{self.names.map[p.name]} = parameter[{i}]"
                for i, p in enumerate(self.model.parameters) if p.name in used]

    def unpack_constants(self, exprs) -> list[str]:
        """Lines reading the hoisted constants that ``exprs`` use from the extended
        parameter vector (extending a plain one with ``with_constants`` first)."""
        used = _used(exprs)
        n = len(self.model.parameters)
        lines = [f"{self.names.map[name]} = parameter[{n + j}]"
                 for j, (name, _) in enumerate(self.model.constants) if name in used]
        return ["parameter = with_constants(parameter)"] + lines if lines else []

    def assignments(self, assignments) -> list[str]:
        """``target = value`` lines for ``(symbol, expr)`` pairs, in dependency order."""
        return [f"{self.printer.doprint(target)} = {self.printer.doprint(value)}"
                for target, value in dependency_order(assignments)]

    def reduce(self, exprs):
        """`cse` of ``exprs`` with this function's temporaries registered for printing."""
        replacements, reduced = cse(exprs, self.names.temporaries())
        self.printer.add_names({tmp.name: tmp.name for tmp, _ in replacements})
        return replacements, reduced

    def compute(self, name: str, args: Sequence[str], doc: str, outputs: Sequence[sympy.Expr], *,
                result: Callable[[list[str]], str] | None = None, like: str = "state",
                lets: bool = True, preamble: Sequence[str] = ()) -> str:
        """A function returning ``outputs``: it unpacks the states, parameters and
        constants they use, computes the lets they need (unless ``lets`` is False)
        and their common subexpressions, and returns ``result(printed outputs)``
        (default: `stack` in ``like``'s dtype)."""
        needed = needed_lets(self.model, outputs) if lets else []
        exprs = [le.expr for le in needed] + list(outputs)
        body = self.unpack_states(exprs) + self.unpack_parameters(exprs) + self.unpack_constants(exprs)
        replacements, reduced = self.reduce(exprs)
        body += self.assignments(replacements + [
            (sympy.Symbol(le.name, real=True), value) for le, value in zip(needed, reduced)])
        printed = [self.printer.doprint(e) for e in reduced[len(needed):]]
        body.append("return " + (result(printed) if result else stack(printed, like)))
        return function(name, args, doc, body, preamble=preamble)

    def parameter_vector(self) -> str:
        """``parameter_vector(given)``: missing parameters take their defaults (one array
        of defaults for `VECTOR_DEFAULTS_MIN` or more numeric defaults)."""
        params = self.model.parameters
        if len(params) >= VECTOR_DEFAULTS_MIN and all(
                p.default.is_Number and p.default.is_finite for p in params):
            return _vector_defaults(tuple(float(p.default) for p in params))
        body = []
        for p in self.model.parameters:
            py = self.names.map[p.name]
            default = self.printer.doprint(p.default)
            body.append(f"{py} = jnp.asarray(given[{p.name!r}]) if {p.name!r} in given else {default}")
        items = [f"jnp.asarray({self.names.map[p.name]})" for p in self.model.parameters]
        body.append("return " + ("jnp.stack([" + ", ".join(items) + "])" if items else "jnp.zeros((0,))"))
        return function("parameter_vector", ["given"],
                        "Parameters in the order of PARAMETER_NAMES; missing ones take their defaults.",
                        body)

    def noise_functions(self) -> str:
        """``NOISE_FORM`` and, for a model of the form ``der(x) = a(t) x + b(t) g``,
        ``drift_coefficient(t, parameter)`` (``a``), ``noise_coefficient(t, parameter)``
        (``b``) and, when it has a closed form, ``log_alpha(t, parameter)``."""
        form = self.model.noise_form
        if form is None:
            return "NOISE_FORM = False"
        args = ["t", "parameter"]
        parts = [
            "NOISE_FORM = True",
            self.compute("drift_coefficient", args, "a(t) of der(x) = a(t)*x + b(t)*g(x, t).",
                         [form.drift], result=scalar, like="parameter", lets=False),
            self.compute("noise_coefficient", args, "b(t) of der(x) = a(t)*x + b(t)*g(x, t).",
                         [form.noise], result=scalar, like="parameter", lets=False),
        ]
        if form.log_alpha is not None:
            parts.append(self.compute("log_alpha", args, "log alpha(t) = int_0^t a(s) ds, in closed form.",
                                      [form.log_alpha], result=scalar, like="parameter", lets=False))
        return "\n\n".join(parts)

