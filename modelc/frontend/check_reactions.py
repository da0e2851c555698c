"""Semantic checks of ``reaction`` lines, and their conversion to `ir.Reaction`.

The rules (names used inside rate expressions are checked with every other
expression, in `check.py`):

* only declared species take part in reactions: an unknown name gets a "did
  you mean", and a state, parameter, let or observable is named as such;
* a coefficient is a positive number (``2B``, or a decimal ``0.5 A``, whose
  mass-action rate raises A to 0.5); ``-2A`` and ``0A`` are errors; a bare
  number on a side must be ``0`` (no species) and stand alone; a reaction
  needs a species on at least one side;
* ``->`` takes one rate constant and ``<->`` two (forward, reverse), or
  ``rate = <expression>`` alone (the explicit rate law; for ``<->`` the net
  rate); ``rate`` is the only option, given once;
* labels are unique;
* a species that takes part in a reaction has no ``der`` (see `check.py`).
"""

from __future__ import annotations

import difflib

import sympy

from .. import ir
from ..errors import Diagnostic, Span
from .syntax import Decl, Program, RateItem, ReactionStmt, Term

__all__ = ["check_reactions", "build_reactions", "reacting_species"]

_KINDS = {
    "state": "a state",
    "parameter": "a parameter",
    "let": "a let",
    "observe": "an observable",
}
_COEFFICIENT_HINT = "a coefficient is a positive number written before the species, e.g. `2B` or `0.5 B`"


def check_reactions(program: Program, table: dict[str, Decl]) -> list[Diagnostic]:
    """Every problem of the program's ``reaction`` lines.

    Args:
        program: the parsed statements.
        table: each declared name's first valid declaration.

    Returns:
        one diagnostic per problem.
    """
    diags: list[Diagnostic] = []
    species = [d.name for d in program.of_kind("species") if table.get(d.name) is d]
    labels: dict[str, Span] = {}
    for reaction in program.reactions:
        for side in (reaction.reactants, reaction.products):
            diags += _check_side(side, table, species)
        if not _species_terms(reaction.reactants) and not _species_terms(reaction.products):
            if all(t.name is None and _is_zero(t) for t in reaction.reactants + reaction.products):
                diags.append(Diagnostic(reaction.arrow_span, "this reaction has no species on either side",
                                        "write the species it turns into each other, e.g. `reaction A -> B, k`"))
        diags += _check_rates(reaction)
        if reaction.label is not None:
            if reaction.label in labels:
                diags.append(Diagnostic(
                    reaction.label_span,
                    f"reaction label `{reaction.label}` is used twice; first on line {labels[reaction.label].line}",
                    "give each reaction its own label (or none)",
                ))
            else:
                labels[reaction.label] = reaction.label_span
    return diags


def reacting_species(program: Program) -> dict[str, Span]:
    """Each species name that appears in a reaction, with the span of its first appearance."""
    seen: dict[str, Span] = {}
    for reaction in program.reactions:
        for term in reaction.reactants + reaction.products:
            if term.name is not None:
                seen.setdefault(term.name, term.name_span)
    return seen


# ---- sides ---------------------------------------------------------------------------


def _species_terms(side: tuple[Term, ...]) -> list[Term]:
    return [t for t in side if t.name is not None]


def _check_side(side: tuple[Term, ...], table: dict[str, Decl], species: list[str]) -> list[Diagnostic]:
    diags = [d for term in side for d in _check_term(term, table, species)]
    zeros = [t for t in side if t.name is None and _is_zero(t)]
    if zeros and len(side) > 1:
        others = " + ".join(_term_text(t) for t in side if t is not zeros[0]) or "0"
        diags.append(Diagnostic(
            zeros[0].span,
            "`0` stands for no species and cannot be added to other species",
            f"write just `{others}`",
        ))
    return diags


def _check_term(term: Term, table: dict[str, Decl], species: list[str]) -> list[Diagnostic]:
    if term.name is None:
        return _check_bare_number(term)
    diags = []
    if term.negative or term.coefficient is not None:
        problem = _coefficient_problem(term)
        if problem:
            diags.append(problem)
    decl = table.get(term.name)
    if decl is None or decl.kind != "species":
        diags.append(_not_a_species(term, decl, species))
    return diags


def _check_bare_number(term: Term) -> list[Diagnostic]:
    if not _is_zero(term):
        shown = ("-" if term.negative else "") + _number_text(term.coefficient)
        return [Diagnostic(
            term.span,
            f"`{shown}` is not a species: a number alone on a side of a reaction must be `0` (no species)",
            "write a species with an optional coefficient, e.g. `2B`, or `0` for none",
        )]
    return []


def _coefficient_problem(term: Term) -> Diagnostic | None:
    if term.negative:
        return Diagnostic(
            term.span,
            f"the coefficient of `{term.name}` is negative (`-{_term_text(term)}`)",
            f"coefficients are positive; to consume `{term.name}`, write it on the reactant side of the arrow",
        )
    if _is_zero(term):
        return Diagnostic(
            term.coefficient_span,
            f"the coefficient of `{term.name}` is zero",
            f"leave `{term.name}` out of this side (write `0` alone for no species); " + _COEFFICIENT_HINT,
        )
    return None


def _not_a_species(term: Term, decl: Decl | None, species: list[str]) -> Diagnostic:
    name = term.name
    if decl is None:
        close = difflib.get_close_matches(name, species, n=1, cutoff=0.5)
        hint = f"did you mean `{close[0]}`?" if close else f"declare it: `species {name} = <initial amount>`"
        return Diagnostic(term.name_span, f"undefined species `{name}`", hint)
    if decl.kind == "state":
        hint = f"declare it with `species {name} = ...` instead of `state` (the reactions then give its equation)"
    else:
        hint = f"only species take part in reactions; declare one with `species {name}_s = <initial amount>`"
    return Diagnostic(
        term.name_span,
        f"`{name}` is {_KINDS[decl.kind]} (line {decl.span.line}), not a species",
        hint,
    )


def _is_zero(term: Term) -> bool:
    """Whether the term's number is a (non-negated) zero: `0`, `0.0`, `0e3`."""
    try:
        return not term.negative and term.coefficient is not None and float(term.coefficient) == 0
    except (TypeError, ValueError):
        return False


def _coefficient(value) -> int | sympy.Rational:
    """A coefficient as written: an int when whole (``2``, ``2.0``), else the exact rational of its
    decimal (``0.5`` is 1/2), so that stoichiometry stays exact."""
    if value is None:
        return 1
    if float(value).is_integer():
        return int(value)
    return sympy.Rational(str(value))


def _number_text(value) -> str:
    if value is None:
        return "?"
    if isinstance(value, sympy.Float):
        return f"{float(value):g}"
    return str(value)


def _term_text(term: Term) -> str:
    if term.name is None:
        return _number_text(term.coefficient)
    return (_number_text(term.coefficient) if term.coefficient is not None else "") + term.name


# ---- rates ---------------------------------------------------------------------------


def _check_rates(reaction: ReactionStmt) -> list[Diagnostic]:
    options = [r for r in reaction.rates if r.key is not None]
    constants = [r for r in reaction.rates if r.key is None]
    diags = [d for r in options if (d := _check_option(r))]
    rates = [r for r in options if r.key == "rate"]
    if len(rates) > 1:
        diags.append(Diagnostic(rates[1].key_span, f"`rate` is given twice; first on line {rates[0].span.line}",
                                "give one rate law per reaction"))
    if rates:
        if constants:
            diags.append(Diagnostic(
                constants[0].span,
                "a reaction with `rate = ...` takes no rate constants: the rate law is the whole rate",
                "remove the rate constants, or drop `rate = ...` for mass action",
            ))
        return diags
    wanted = 1 if reaction.arrow == "->" else 2
    if len(options) > len(rates):  # an unknown option; its message says what to write
        return diags
    if len(constants) > wanted:
        hint = ("a reversible reaction is written with `<->`: `reaction A <-> B, kf, kr`" if wanted == 1
                else "a reversible reaction takes a forward and a reverse rate constant")
        diags.append(Diagnostic(constants[wanted].span,
                                f"`{reaction.arrow}` takes {_count(wanted)}, got {len(constants)}", hint))
    elif len(constants) < wanted:
        example = "reaction A -> B, k" if wanted == 1 else "reaction A <-> B, kf, kr"
        diags.append(Diagnostic(
            reaction.arrow_span,
            f"`{reaction.arrow}` needs {_count(wanted)}, got {len(constants)}",
            f"write e.g. `{example}` (mass action), or give the rate law: `rate = <expression>`"
            + ("; use `->` for an irreversible reaction" if wanted == 2 else ""),
        ))
    return diags


def _count(n: int) -> str:
    return "one rate constant" if n == 1 else "two rate constants (forward, reverse)"


def _check_option(item: RateItem) -> Diagnostic | None:
    if item.key == "rate":
        return None
    return Diagnostic(
        item.key_span,
        f"unknown reaction option `{item.key}`",
        "the only option is `rate = <expression>` (the rate law); "
        "rate constants are written without a name: `reaction A -> B, k1`",
    )


# ---- conversion ----------------------------------------------------------------------


def build_reactions(program: Program) -> tuple[ir.Reaction, ...]:
    """The reactions of a program that passed the checks, as IR (labels filled in)."""
    taken = {r.label for r in program.reactions if r.label is not None}
    out = []
    for i, stmt in enumerate(program.reactions, start=1):
        label = stmt.label or _auto_label(i, taken)
        rate = next((r.expr for r in stmt.rates if r.key == "rate"), None)
        constants = [r.expr for r in stmt.rates if r.key is None]
        out.append(ir.Reaction(
            label=label,
            reactants=_side(stmt.reactants),
            products=_side(stmt.products),
            forward=rate if rate is not None else constants[0],
            reverse=constants[1] if rate is None and len(constants) > 1 else None,
            explicit=rate is not None,
            span=stmt.span,
            reversible=stmt.arrow == "<->",
        ))
    return tuple(out)


def _auto_label(i: int, taken: set[str]) -> str:
    label = f"r{i}"
    return label if label not in taken else f"#{i}"


def _side(terms: tuple[Term, ...]) -> tuple[tuple[str, int | sympy.Rational], ...]:
    """``(species, coefficient)`` pairs; a species written twice on one side is summed."""
    counts: dict[str, int] = {}
    for term in terms:
        if term.name is not None:
            counts[term.name] = counts.get(term.name, 0) + _coefficient(term.coefficient)
    return tuple(counts.items())
