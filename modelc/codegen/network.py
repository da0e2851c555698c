"""Structured code for reaction networks: rates by template, a scatter-add by stoichiometry.

For a network model that `modelc.passes.network_form.use_structured` accepts,
the scalar module's ``rhs`` and ``jacobian`` (`modelc.codegen.scalar`) are
replaced by array code over the index arrays of a
`modelc.passes.network_form.NetworkForm`:

- ``network_values(t, state, parameter)``: the vector ``[state, t, numbers,
  parameter]`` that every slot indexes;
- ``network_rates(t, state, parameter)``: each rate template evaluated once on
  its slots gathered from the values (``values[TEMPLATE<k>_SLOTS[q]]``), the
  results concatenated (the rate vector, in template order);
- ``rhs``: ``segment_sum(STOICH_COEFS * rates[STOICH_COLS], STOICH_ROWS)``;
- ``jacobian_values(t, state, parameter)``: the Jacobian's nonzeros at
  ``JACOBIAN_ROWS``/``JACOBIAN_COLS``, from the templates' symbolic partial
  derivatives by one more segment sum; ``jacobian``: the dense matrix filled from
  them (stiff solvers that take the sparse form use ``jacobian_values``).

The index arrays are module-level NumPy constants (data), so the program's size
grows with the number of templates, not with the number of reactions.
"""

from __future__ import annotations

import sympy

from ..passes.network_form import NetworkForm
from ..passes.templates import slot_symbol
from .emit import function
from .printer import JaxPrinter

__all__ = ["network_functions", "STRUCTURED_TAG"]

STRUCTURED_TAG = "NETWORK_STRUCTURED = True"
"""The line that marks a module with structured network code."""

_ARGS = ("t", "state", "parameter")


def _array(name: str, values, dtype: str) -> str:
    return f"{name} = np.array({tuple(values)!r}, dtype=np.{dtype})"


def _constants(form: NetworkForm) -> list[str]:
    lines = ["import numpy as np", "", STRUCTURED_TAG,
             f"N_NETWORK_TEMPLATES = {len(form.templates)}",
             _array("NETWORK_NUMBERS", form.numbers, "float64")]
    for k, t in enumerate(form.templates):
        lines.append(f"TEMPLATE{k}_SLOTS = np.array({tuple(tuple(ix) for ix in t.index)!r}, "
                     f"dtype=np.int32).reshape({len(t.index)}, {t.count})")
        for q, _, instances in t.partials:
            lines.append(_array(f"TEMPLATE{k}_PARTIAL{q}", instances, "int32"))
    lines += [_array("STOICH_ROWS", form.stoich_rows, "int32"),
              _array("STOICH_COLS", form.stoich_cols, "int32"),
              _array("STOICH_COEFS", form.stoich_coefs, "float64"),
              _array("JACOBIAN_ROWS", form.jacobian_rows, "int32"),
              _array("JACOBIAN_COLS", form.jacobian_cols, "int32"),
              _array("JACOBIAN_SOURCES", form.jacobian_sources, "int32"),
              _array("JACOBIAN_COEFS", form.jacobian_coefs, "float64"),
              _array("JACOBIAN_SEGMENTS", form.jacobian_segments, "int32")]
    return lines


def _gather(k: int, expr: sympy.Expr, slots: int) -> list[str]:
    """Lines binding template ``k``'s slots that ``expr`` uses (``s0``, ``s1``, ...)."""
    used = {s.name for s in expr.free_symbols}
    return [f"s{q} = values[TEMPLATE{k}_SLOTS[{q}]]" for q in range(slots) if slot_symbol(q).name in used]


def _vector(expr: sympy.Expr, count: int) -> str:
    """``expr`` (in slot symbols only: every model name was replaced by a slot) printed with
    its own printer, so the slots' local names never touch the module's name map."""
    slots = {s.name: "s" + s.name[2:] for s in expr.free_symbols}
    return f"jnp.broadcast_to(jnp.asarray({JaxPrinter(slots).doprint(expr)}, dtype=state.dtype), ({count},))"


def _values() -> str:
    return function("network_values", _ARGS,
                    "The vector [state, t, NETWORK_NUMBERS, parameter] that the template slots index.",
                    ["dtype = state.dtype",
                     "return jnp.concatenate([state, jnp.reshape(jnp.asarray(t, dtype=dtype), (1,)), "
                     "jnp.asarray(NETWORK_NUMBERS, dtype=dtype), jnp.asarray(parameter, dtype=dtype)])"])


def _rates(form: NetworkForm) -> str:
    body = ["values = network_values(t, state, parameter)"]
    parts = []
    for k, t in enumerate(form.templates):
        body += _gather(k, t.expr, len(t.index))
        body.append(f"r{k} = {_vector(t.expr, t.count)}")
        parts.append(f"r{k}")
    body.append("return jnp.concatenate([" + ", ".join(parts) + "])")
    return function("network_rates", _ARGS,
                    "The reaction rates, template by template (the columns of STOICH_COLS).", body)


def _rhs(form: NetworkForm) -> str:
    body = ["rates = network_rates(t, state, parameter)",
            "terms = jnp.asarray(STOICH_COEFS, dtype=state.dtype) * rates[STOICH_COLS]",
            f"return jax.ops.segment_sum(terms, STOICH_ROWS, num_segments={form.n_states}, "
            "indices_are_sorted=True)"]
    return function("rhs", _ARGS, "The time derivative d(state)/dt: the stoichiometry times the rates.",
                    body)


def _jacobian(form: NetworkForm) -> str:
    n, nnz = form.n_states, len(form.jacobian_rows)
    body = ["values = network_values(t, state, parameter)"]
    parts = []
    for k, t in enumerate(form.templates):
        for q, derivative, _ in t.partials:
            body += [line for line in _gather(k, derivative, len(t.index)) if line not in body]
            body.append(f"d{k}x{q} = {_vector(derivative, t.count)}[TEMPLATE{k}_PARTIAL{q}]")
            parts.append(f"d{k}x{q}")
    if parts:
        body += ["partials = jnp.concatenate([" + ", ".join(parts) + "])",
                 "terms = jnp.asarray(JACOBIAN_COEFS, dtype=state.dtype) * partials[JACOBIAN_SOURCES]",
                 f"return jax.ops.segment_sum(terms, JACOBIAN_SEGMENTS, num_segments={nnz})"]
    else:
        body.append("return jnp.zeros((0,), dtype=state.dtype)")
    values = function("jacobian_values", _ARGS,
                      "The nonzeros of d(rhs)/d(state) at (JACOBIAN_ROWS, JACOBIAN_COLS).", body)
    dense = function("jacobian", _ARGS,
                     "d(rhs)/d(state), shape (n, n), filled from jacobian_values.",
                     [f"return jnp.zeros(({n}, {n}), dtype=state.dtype).at[JACOBIAN_ROWS, JACOBIAN_COLS]"
                      ".set(jacobian_values(t, state, parameter))"])
    return values + "\n\n" + dense


def network_functions(form: NetworkForm) -> tuple[str, str]:
    """``(rhs text, jacobian text)`` of the structured module (module docstring); the
    first carries the index arrays and the helper functions."""
    rhs = "\n".join(_constants(form)) + "\n\n" + _values() + "\n\n" + _rates(form) + "\n\n" + _rhs(form)
    return rhs, _jacobian(form)
