"""Expression templates: expressions equal up to renaming of their symbols.

Reaction networks repeat a few rate-law shapes (mass action ``k*A*B``,
Michaelis–Menten ``V*S/(K + S)``, Hill ``V*S^n/(K^n + S^n)``, a compartment
factor ``c*k*A``) over many reactions with different symbols. `find_templates`
groups a list of expressions by a canonical form in which every symbol and
every non-integer number is replaced by a *slot* (``_s0, _s1, ...``), so that
each shape can be evaluated once, vectorised over its instances.

The canonical form: every slot atom gets a *role* (the paths from the root to
its occurrences, e.g. "a factor of the product and a term of the sum in the
denominator"); the tree is walked with the arguments of commutative operations
(sums, products) ordered by their *shape* (the tree printed with every slot
atom as its role), and slots are numbered in the order their atoms are first
met; the template is the expression with its atoms replaced by those slots.
Two instances of one template differ only in the atoms bound to the slots.
Ties between arguments of equal shape are broken by the expression's own
(name-dependent) order, so a few instances that are equal up to renaming may
land in distinct templates: that costs a template, never correctness (each
template reproduces its instances exactly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sympy

__all__ = ["Template", "find_templates", "is_slot_atom", "slot_symbol"]


@dataclass(frozen=True)
class Template:
    """One expression shape and its instances.

    ``expr`` is written in the slot symbols ``slot_symbol(0..slots-1)``;
    ``members[k]`` is the index (into the input list) of the k-th instance and
    ``atoms[k][q]`` the symbol or number bound to slot ``q`` in it.
    """

    expr: sympy.Expr
    slots: int
    members: tuple[int, ...]
    atoms: tuple[tuple[sympy.Expr, ...], ...]


def slot_symbol(q: int) -> sympy.Symbol:
    """The symbol of slot ``q`` in a template (``_s<q>``, real)."""
    return sympy.Symbol(f"_s{q}", real=True)


def is_slot_atom(expr) -> bool:
    """True for what becomes a slot: a symbol, or a number that is not an integer."""
    if isinstance(expr, sympy.Symbol):
        return True
    return bool(expr.is_Number) and not expr.is_Integer


def _roles(expr) -> dict:
    """Each slot atom's *role*: the sorted paths from the root to its occurrences (operation
    names, with argument positions only for non-commutative operations)."""
    paths: dict = {}

    def walk(e, path):
        if is_slot_atom(e):
            paths.setdefault(e, []).append(path)
            return
        commutative = isinstance(e, (sympy.Add, sympy.Mul))
        for i, a in enumerate(e.args):
            walk(a, path + (f"{type(e).__name__}.{'*' if commutative else i}",))

    walk(expr, ())
    return {a: "|".join("/".join(p) for p in sorted(ps)) for a, ps in paths.items()}


def _shape(expr, roles: dict, memo: dict) -> str:
    """The tree of ``expr`` with every slot atom printed as its role (commutative args sorted)."""
    found = memo.get(expr)
    if found is not None:
        return found
    if is_slot_atom(expr):
        text = "x[" + roles[expr] + "]"
    elif not expr.args:
        text = sympy.srepr(expr)
    else:
        parts = [_shape(a, roles, memo) for a in expr.args]
        if isinstance(expr, (sympy.Add, sympy.Mul)):
            parts.sort()
        text = f"{type(expr).__name__}({','.join(parts)})"
    memo[expr] = text
    return text


def _ordered_atoms(expr, roles: dict, memo: dict, out: dict) -> None:
    """Record the slot atoms of ``expr`` in canonical traversal order (first meeting)."""
    if is_slot_atom(expr):
        out.setdefault(expr, len(out))
        return
    args = expr.args
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        args = sorted(args, key=lambda a: _shape(a, roles, memo))   # stable: ties keep SymPy's order
    for a in args:
        _ordered_atoms(a, roles, memo, out)


def canonical(expr: sympy.Expr) -> tuple[sympy.Expr, tuple[sympy.Expr, ...]]:
    """``(template, atoms)``: ``expr`` with its slot atoms replaced by ``_s0, _s1, ...`` in
    canonical order, and the atoms in slot order (so ``template.xreplace(slot -> atom)``
    is ``expr``)."""
    order: dict = {}
    _ordered_atoms(expr, _roles(expr), {}, order)
    atoms = tuple(order)
    template = expr.xreplace({a: slot_symbol(q) for q, a in enumerate(atoms)})
    return template, atoms


def find_templates(exprs: Sequence[sympy.Expr]) -> list[Template]:
    """The templates of ``exprs`` in order of first appearance (every expression is an
    instance of exactly one)."""
    groups: dict = {}
    for index, expr in enumerate(exprs):
        template, atoms = canonical(sympy.sympify(expr))
        group = groups.setdefault(template, (len(atoms), [], []))
        group[1].append(index)
        group[2].append(atoms)
    return [Template(expr, slots, tuple(members), tuple(atoms))
            for expr, (slots, members, atoms) in groups.items()]
