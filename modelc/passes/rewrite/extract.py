"""Extraction, and the choice between each equation's original and extracted form.

egglog extracts the cheapest *tree* for every expression (in Rust, from the
constructor costs of `terms.Term`). A tree cost counts a subterm once per
use, so it cannot see that ``ES*kcat`` is worth keeping because another
equation computes it anyway. `choose` repairs that: for each equation it
keeps whichever of the original and the extracted form gives the lower
*shared* cost of all equations together — each distinct subexpression
counted once, as common-subexpression elimination will emit it.
(egglog's greedy DAG cost model was tried: it is per e-class greedy, so it
misses the same cross-equation sharing, and it runs in Python, seconds on
ten thousand e-nodes.)
"""

from __future__ import annotations

from collections import Counter

import sympy
from egglog import EGraph

from .cost import weighted_cost

__all__ = ["extract_all", "shared_cost", "choose"]


def extract_all(egraph: EGraph, root):
    """The cheapest tree for ``root`` (a vector of all expressions)."""
    return egraph.extract(root)


def _own_costs(expr, memo: dict) -> Counter:
    """Each distinct non-atomic subexpression of ``expr`` with its own cost (children excluded).

    A negated product ``-x*y`` counts as ``x*y`` (CSE shares it with ``x*y``
    elsewhere; the sign is a subtraction or a cheap negation).
    """
    out = Counter()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node.is_Atom or node in out:
            continue
        if isinstance(node, sympy.Mul) and node.args[0] == -1:
            stack.append(-node)
            continue
        if node not in memo:
            memo[node] = weighted_cost(node) - sum(weighted_cost(a) for a in node.args
                                                   if isinstance(a, sympy.Basic))
        out[node] = memo[node]
        stack.extend(a for a in node.args if isinstance(a, sympy.Basic))
    return out


def shared_cost(exprs, memo: dict | None = None) -> float:
    """The weighted cost of ``exprs`` with every distinct subexpression counted once."""
    memo = {} if memo is None else memo
    nodes: dict = {}
    for e in exprs:
        nodes.update(_own_costs(e, memo))
    return float(sum(nodes.values()))


def choose(before: list, after: list) -> list:
    """Per equation, the original or the extracted form, whichever lowers the shared cost.

    A local search from each end (every form extracted; every form
    original) switches one equation at a time while that lowers the total;
    the cheaper of the two results wins.
    """
    memo: dict = {}
    results = [_descend(before, after, list(start), memo) for start in (after, before)]
    return min(results, key=lambda chosen: shared_cost(chosen, memo))


def _descend(before, after, chosen, memo) -> list:
    uses: Counter = Counter()
    parts = [_own_costs(e, memo) for e in chosen]
    for p in parts:
        uses.update(p.keys())
    for _ in range(2):
        changed = False
        for i, (b, a) in enumerate(zip(before, after)):
            if b == a:
                continue
            other = b if chosen[i] is a else a
            new = _own_costs(other, memo)
            if _delta(uses, parts[i], new) < 0:
                uses.subtract(parts[i].keys())
                uses.update(new.keys())
                parts[i], chosen[i], changed = new, other, True
        if not changed:
            break
    return chosen


def _delta(uses: Counter, old: Counter, new: Counter) -> float:
    """Change of the shared cost when an equation's subexpressions ``old`` become ``new``."""
    removed = sum(c for node, c in old.items() if uses[node] == 1 and node not in new)
    added = sum(c for node, c in new.items() if uses[node] - (1 if node in old else 0) <= 0)
    return added - removed
