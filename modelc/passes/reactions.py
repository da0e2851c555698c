"""Reaction lowering: species and reactions become states and ``der`` equations.

`lower_reactions` (in `modelc.api.PASSES`) turns each species into a state
whose derivative is ``sum_j N[i, j] * rate_j`` (N the stoichiometry matrix,
products minus reactants), keeps the network's structure in ``model.network``
(see `modelc.passes.network`) and empties ``model.species`` and
``model.reactions``. States and species keep their declaration order in the
state vector. A model without reactions passes through unchanged.

`eliminate_conserved` (``reduce_conservation=True``) then removes one species
per conservation law: the law's total becomes a parameter ``total_<species>``
whose default is the law applied to the initial values, and the species becomes
an observable of the same name computed from the total and the other species.
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ..ir import Derivative, Model, Observe, Parameter, State, symbol
from .network import analyze

__all__ = ["lower_reactions", "eliminate_conserved"]


def lower_reactions(model: Model) -> Model:
    """The model with its reaction network lowered to ``der`` equations.

    Args:
        model: a checked model (species in reactions have no ``der``).

    Returns:
        a model whose states include the species, with ``network`` set.
    """
    if not model.species and not model.reactions:
        return model
    names = tuple(s.name for s in model.species)
    network = analyze(names, model.reactions)
    terms: dict[str, list] = {name: [] for name in names}
    # the nonzeros, by reaction then species (the stoichiometry is sparse; issue 16)
    for i, j, c in network.stoichiometry_entries:
        terms[names[i]].append(_scaled(c, network.rates[j]))
    derivatives = {d.state: d for d in model.derivatives}
    for s in model.species:
        derivatives[s.name] = Derivative(s.name, sympy.Add(*terms[s.name]), s.span)
    states = sorted(
        [*model.states, *(State(s.name, s.initial, s.span) for s in model.species)],
        key=lambda s: (s.span.line, s.span.col),
    )
    return replace(
        model,
        states=tuple(states),
        derivatives=tuple(derivatives[s.name] for s in states),
        species=(),
        reactions=(),
        network=network,
    )


def _scaled(c: sympy.Expr, rate: sympy.Expr) -> sympy.Expr:
    """``c * rate``, built without SymPy's flattening where the result's canonical form is
    known: ``rate`` itself for ``c = 1``, and the integer prepended to the factors of a
    mass-action monomial without a numeric coefficient (SymPy keeps a Mul's number first;
    the same expression as ``c * rate``, about a third of the lowering of a large network)."""
    if c == 1:
        return rate
    if (isinstance(rate, sympy.Mul) and c.is_Integer and not rate.args[0].is_Number
            and rate.is_commutative):
        return sympy.Mul._from_args((c, *rate.args), True)
    return c * rate


def eliminate_conserved(model: Model) -> Model:
    """Remove one species per conservation law of a lowered model.

    For each law (in order) the eliminated species is one with a nonzero
    coefficient, the last declared that keeps the eliminated set independent.
    Its total ``total_<species>`` (renamed ``total_<species>_2``, ... if taken)
    is appended to the parameters with the law applied to the initial values as
    default, so it follows parameter overrides; ``der`` equations, lets and
    observables use ``total - others`` in its place, and an observable of the
    species' name keeps ``sol[name]`` working.

    Args:
        model: the output of `lower_reactions`.

    Returns:
        the reduced model (unchanged if there is no conservation law).
    """
    network = model.network
    if network is None or not network.conservation_laws:
        return model
    laws = [dict(law.coefficients) for law in network.conservation_laws]
    eliminated = _choose_eliminated(laws, network.species)
    taken = {item.name for group in (model.parameters, model.states, model.lets, model.observes) for item in group}
    totals = []
    for name in eliminated:
        totals.append(_fresh(f"total_{name}", taken))
        taken.add(totals[-1])
    solution = _solve_for(laws, eliminated, totals)
    initial = {symbol(s.name): s.initial for s in model.states}
    states = tuple(s for s in model.states if s.name not in eliminated)
    by_name = {s.name: s for s in model.states}

    def sub(expr):
        return expr.xreplace(solution)

    new_parameters = tuple(
        Parameter(total, sympy.expand(sympy.Add(*(c * initial[symbol(s)] for s, c in law.items()))),
                  by_name[name].span)
        for name, total, law in zip(eliminated, totals, laws)
    )
    observes = tuple(Observe(name, solution[symbol(name)], by_name[name].span) for name in eliminated)
    return replace(
        model,
        parameters=model.parameters + new_parameters,
        states=states,
        derivatives=tuple(replace(d, expr=sub(d.expr)) for d in model.derivatives if d.state not in eliminated),
        lets=tuple(replace(le, expr=sub(le.expr)) for le in model.lets),
        observes=tuple(replace(o, expr=sub(o.expr)) for o in model.observes) + observes,
        network=replace(network, eliminated=tuple(zip(eliminated, totals))),
    )


def _choose_eliminated(laws: list[dict[str, int]], species: tuple[str, ...]) -> list[str]:
    """One species per law: prefer a nonzero coefficient, then the last declared; keep them independent."""
    chosen: list[str] = []
    for k, law in enumerate(laws):
        candidates = sorted(
            (s for s in species if s not in chosen),
            key=lambda s: (law.get(s, 0) == 0, -species.index(s)),
        )
        for s in candidates:
            block = sympy.Matrix(k + 1, k + 1, lambda i, j: laws[i].get([*chosen, s][j], 0))
            if block.rank() == k + 1:
                chosen.append(s)
                break
    return chosen


def _solve_for(laws: list[dict[str, int]], eliminated: list[str], totals: list[str]) -> dict:
    """Each eliminated species' symbol -> its value from the totals and the other species."""
    unknowns = [symbol(s) for s in eliminated]
    equations = [
        sympy.Add(*(c * symbol(s) for s, c in law.items())) - symbol(total)
        for law, total in zip(laws, totals)
    ]
    solved = sympy.solve(equations, unknowns, dict=True)[0]
    return {u: sympy.expand(solved[u]) for u in unknowns}


def _fresh(name: str, taken: set[str]) -> str:
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name}_{i}", i + 1
    return candidate
