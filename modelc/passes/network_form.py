"""A reaction network's right-hand side and Jacobian as index arrays over rate templates.

`network_form` turns a lowered model whose states are exactly the species of
``model.network`` into a `NetworkForm`: the rate laws grouped into templates
(`modelc.passes.templates`), each slot of a template an index array into one
vector of *values* ``[state, t, numbers, parameter]``, the stoichiometry as
``(row, column, coefficient)`` triplets over the rates in template order, and
the Jacobian's sparsity pattern with the recipe for its values:
``J[a, i] = sum_j N[a, j] d rate_j / d y_i``, where ``d rate_j / d y_i`` comes
from the template's symbolic partial derivative in the slot bound to ``y_i``.

Everything here is data (tuples of numbers), so a code generator that prints
it (`modelc.codegen.network`) emits a program whose size depends on the
number of templates and slots, not on the number of reactions.

`use_structured` is the dispatch rule: a network with at least
`STRUCTURED_MIN_REACTIONS` reactions (measured, see docs/benchmarks.md), all of
whose states are its species, and no conservation law eliminated.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..ir import TIME, DerValue, Model, symbol
from .safe_forms import safe_form
from .templates import Template, find_templates, slot_symbol

__all__ = ["NetworkForm", "TemplateSlots", "network_form", "use_structured", "STRUCTURED_MIN_REACTIONS"]

STRUCTURED_MIN_REACTIONS = 24
"""Networks with at least this many reactions get the structured (vectorised) code."""


@dataclass(frozen=True)
class TemplateSlots:
    """A template with its slots as index arrays into the values vector.

    ``index[q][k]``: position in the values vector of the atom bound to slot ``q``
    in instance ``k``; ``partials``: ``(q, d expr / d slot_q, instances)`` for
    every slot bound to a state in some instance, ``instances`` those instances.
    """

    expr: sympy.Expr
    index: tuple[tuple[int, ...], ...]
    partials: tuple[tuple[int, sympy.Expr, tuple[int, ...]], ...]
    count: int


@dataclass(frozen=True)
class NetworkForm:
    """The structured right-hand side of a network model (module docstring).

    ``values``: the values vector is ``state`` (``n_states``), ``t``, ``numbers``,
    then ``parameter``; ``templates`` evaluated in order and concatenated give the
    rate vector. ``stoich_rows``/``stoich_cols``/``stoich_coefs``: the nonzeros of
    the stoichiometry (state, rate position, coefficient).
    ``jacobian_rows``/``jacobian_cols``: the Jacobian's pattern (unique, row-major);
    its values are ``segment_sum(jacobian_coefs * P[jacobian_sources],
    jacobian_segments)``, ``P`` the template partials concatenated in order.
    """

    n_states: int
    numbers: tuple[float, ...]
    templates: tuple[TemplateSlots, ...]
    stoich_rows: tuple[int, ...]
    stoich_cols: tuple[int, ...]
    stoich_coefs: tuple[float, ...]
    jacobian_rows: tuple[int, ...]
    jacobian_cols: tuple[int, ...]
    jacobian_sources: tuple[int, ...]
    jacobian_coefs: tuple[float, ...]
    jacobian_segments: tuple[int, ...]

    @property
    def parameter_offset(self) -> int:
        """Position of ``parameter[0]`` in the values vector."""
        return self.n_states + 1 + len(self.numbers)


def use_structured(model: Model) -> bool:
    """Whether ``model`` is a network to emit in structured form (module docstring)."""
    network = model.network
    if network is None or network.eliminated or model.fields or model.has_arrays:
        return False
    if len(network.reactions) < STRUCTURED_MIN_REACTIONS:
        return False
    return sorted(model.state_names) == sorted(network.species)


def _inlined(expr: sympy.Expr, model: Model) -> sympy.Expr:
    """``expr`` with lets and hoisted constants replaced by their definitions."""
    definitions = {symbol(le.name): le.expr for le in model.lets}
    definitions.update({symbol(name): e for name, e in model.constants})
    for _ in range(len(definitions) + 1):
        if not expr.free_symbols & definitions.keys():
            return expr
        expr = expr.xreplace(definitions)
    return expr


def network_form(model: Model) -> NetworkForm | None:
    """The `NetworkForm` of ``model``, or None when a rate uses something the values
    vector does not hold (a ``der()`` value, an unknown name)."""
    network = model.network
    states = model.state_names
    n = len(states)
    rates = []
    for rate in network.rates:
        rate = _inlined(rate, model)
        if rate.has(DerValue):
            return None
        rates.append(safe_form(rate))
    templates = find_templates(rates)
    position = {symbol(name): i for i, name in enumerate(states)}
    position[TIME] = n
    numbers: dict = {}
    for t in templates:
        for atoms in t.atoms:
            for a in atoms:
                if a not in position and not isinstance(a, sympy.Symbol):
                    numbers.setdefault(a, len(numbers))
    offset = n + 1 + len(numbers)
    position.update({a: n + 1 + k for a, k in numbers.items()})
    position.update({symbol(p.name): offset + j for j, p in enumerate(model.parameters)})
    if any(a not in position for t in templates for atoms in t.atoms for a in atoms):
        return None
    slotted, rate_position = [], {}
    partial_sources = []   # per partial value: (reaction, state)
    for t in templates:
        for member in t.members:
            rate_position[member] = len(rate_position)
        slotted.append(_slots(t, position, n, partial_sources))
    rows, cols, coefs = _stoichiometry(model, states, rate_position)
    return NetworkForm(n, tuple(float(x) for x in numbers), tuple(slotted), rows, cols, coefs,
                       *_jacobian(model, states, partial_sources))


def _slots(t: Template, position: dict, n: int, sources: list) -> TemplateSlots:
    """Index arrays and state partials of one template; appends the partials' (reaction,
    state) pairs to ``sources`` in the order the generated code concatenates them."""
    index = tuple(tuple(position[atoms[q]] for atoms in t.atoms) for q in range(t.slots))
    partials = []
    for q in range(t.slots):
        instances = tuple(k for k in range(len(t.members)) if index[q][k] < n)
        if not instances:
            continue
        derivative = sympy.diff(t.expr, slot_symbol(q))
        if derivative == 0:
            continue
        partials.append((q, derivative, instances))
        sources.extend((t.members[k], index[q][k]) for k in instances)
    return TemplateSlots(t.expr, index, tuple(partials), len(t.members))


def _changes(model: Model) -> list[dict[str, float]]:
    """Per reaction, the net change of each species it touches (nonzero only)."""
    out = []
    for r in model.network.reactions:
        change: dict = {}
        for name, c in r.reactants:
            change[name] = change.get(name, 0) - c
        for name, c in r.products:
            change[name] = change.get(name, 0) + c
        out.append({name: float(c) for name, c in change.items() if c != 0})
    return out


def _stoichiometry(model: Model, states, rate_position: dict):
    """``(rows, cols, coefs)`` of the stoichiometry, columns in rate (template) order."""
    index = {name: i for i, name in enumerate(states)}
    triplets = sorted((index[name], rate_position[j], c)
                      for j, change in enumerate(_changes(model)) for name, c in change.items())
    return tuple(r for r, _, _ in triplets), tuple(c for _, c, _ in triplets), tuple(x for _, _, x in triplets)


def _jacobian(model: Model, states, sources: list):
    """The Jacobian pattern and the recipe of its values (`NetworkForm`)."""
    index = {name: i for i, name in enumerate(states)}
    changes = _changes(model)
    entries = []   # (row, col, source partial, coefficient)
    for p, (reaction, col) in enumerate(sources):
        for name, c in changes[reaction].items():
            entries.append((index[name], col, p, c))
    pattern = sorted({(row, col) for row, col, _, _ in entries})
    segment = {rc: k for k, rc in enumerate(pattern)}
    return (tuple(r for r, _ in pattern), tuple(c for _, c in pattern),
            tuple(p for _, _, p, _ in entries), tuple(c for _, _, _, c in entries),
            tuple(segment[(r, c)] for r, c, _, _ in entries))
