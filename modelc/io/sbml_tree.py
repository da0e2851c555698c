"""The importer's expression trees (`modelc.io.sbml_math` builds them from MathML).

Nodes are tuples, first entry the tag:

    ("num", "2.5")          a non-negative number literal (already formatted)
    ("sym", "k1")           an SBML identifier (resolved to a model name when printed)
    ("time",)  ("pi",)  ("bool", True)
    ("neg", a)  ("pow", a, b)  ("div", a, b)  ("sub", a, b)
    ("add", [a, ...])  ("mul", [a, ...])  ("and", [a, ...])  ("or", [a, ...])
    ("not", a)  ("cmp", op, a, b)  ("if", cond, a, b)  ("call", fname, [args])

A subtree may be shared (one object in several places: a function called twice
with the same arguments); the walkers here visit each distinct subtree once.
Printing uses explicit precedence rules, so every output is valid modelc syntax.
"""

from __future__ import annotations

import math
from typing import Callable

__all__ = ["Refused", "format_number", "num", "NAN", "INFINITY", "ONE", "ZERO", "nary", "symbols_of",
           "uses_time", "calls_of", "children", "substitute", "to_text", "MAX_INLINED", "expanded_size"]


class Refused(Exception):
    """An SBML construct that the importer does not translate (message says which)."""


# ---------------------------------------------------------------- tree helpers


def format_number(value: float) -> str:
    """Repr-exact text of a finite float; integral values print as integers."""
    if math.isnan(value) or math.isinf(value):
        raise Refused(f"the number {value!r} has no literal in the modelc language")
    if value == int(value) and abs(value) < 1e15:
        return str(int(abs(value)))
    return repr(abs(value))


def num(value: float):
    """A number node (a negative value becomes a negation)."""
    node = ("num", format_number(value))
    return ("neg", node) if value < 0 else node


NAN = ("div", ("num", "0"), ("num", "0"))
# The language has no infinity literal; 10^400 is exact at compile time and
# overflows to inf in floating point.
INFINITY = ("pow", ("num", "10"), ("num", "400"))
ONE, ZERO = ("num", "1"), ("num", "0")


def nary(tag, items):
    """An n-ary node of ``tag``, flattening nested ones (a single item stands alone)."""
    flat = []
    for item in items:
        flat.extend(item[1] if item[0] == tag else [item])
    return flat[0] if len(flat) == 1 else (tag, flat)


def _distinct(node):
    """Each distinct subtree of ``node`` once (trees share subtrees: a function called
    twice with the same arguments is one object), iteratively, as trees may be deep."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(children(n))


def symbols_of(node) -> set[str]:
    """The SBML identifiers a tree refers to."""
    return {n[1] for n in _distinct(node) if n[0] == "sym"}


def uses_time(node) -> bool:
    """True when the tree refers to time."""
    return any(n[0] == "time" for n in _distinct(node))


def calls_of(node, name: str) -> list:
    """The ``call`` nodes of function ``name`` in the tree (each distinct one once)."""
    return [n for n in _distinct(node) if n[0] == "call" and n[1] == name]


def children(node):
    """The direct subtrees of a tree node."""
    tag = node[0]
    if tag in ("add", "mul", "and", "or"):
        return node[1]
    if tag == "call":
        return node[2]
    if tag in ("neg", "not"):
        return [node[1]]
    if tag in ("pow", "div", "sub"):
        return [node[1], node[2]]
    if tag == "cmp":
        return [node[2], node[3]]
    if tag == "if":
        return [node[1], node[2], node[3]]
    return []


def substitute(node, replace: Callable, memo: dict | None = None, calls=()):
    """A copy of the tree with each ``sym``/``time`` node ``n`` replaced by ``replace(n)``
    (a shared subtree is copied once and stays shared); so is each ``call`` node of a
    function named in ``calls``."""
    memo = {} if memo is None else memo
    key = id(node)
    if key in memo:
        return memo[key][0]
    tag = node[0]

    def sub(child):
        return substitute(child, replace, memo, calls)

    if tag in ("sym", "time") or (tag == "call" and node[1] in calls):
        out = replace(node)
    elif tag in ("add", "mul", "and", "or"):
        out = (tag, [sub(c) for c in node[1]])
    elif tag == "call":
        out = ("call", node[1], [sub(c) for c in node[2]])
    elif tag in ("neg", "not"):
        out = (tag, sub(node[1]))
    elif tag in ("pow", "div", "sub"):
        out = (tag, sub(node[1]), sub(node[2]))
    elif tag == "cmp":
        out = ("cmp", node[1], sub(node[2]), sub(node[3]))
    elif tag == "if":
        out = ("if",) + tuple(sub(c) for c in node[1:])
    else:
        out = node
    memo[key] = (out, node)   # keep ``node`` alive so that its id stays its own
    return out


# ---------------------------------------------------------------- printing

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "add": 5, "sub": 5, "mul": 6, "div": 6,
         "neg": 7, "pow": 8}


def to_text(node, name_of: Callable[[str], str], shared: dict | None = None) -> str:
    """Print a tree as modelc expression text; ``name_of`` maps SBML ids to model names.

    ``shared`` maps ``id(subtree)`` to the name of a let that holds it: such a
    subtree (other than ``node`` itself) is printed as that name.
    """
    return _Printer(name_of, shared or {}, node).show(node, 0)


class _Printer:
    def __init__(self, name_of, shared, root):
        self.name_of, self.shared, self.root = name_of, shared, root

    def show(self, node, min_prec: int) -> str:
        if id(node) in self.shared and node is not self.root:
            return self.shared[id(node)]
        text = getattr(self, "_" + node[0])(node)
        if _PREC.get(node[0], 9) < min_prec:
            return f"({text})"
        return text

    def _num(self, n):
        return n[1]

    def _sym(self, n):
        return self.name_of(n[1])

    def _time(self, n):
        return "t"

    def _pi(self, n):
        return "pi"

    def _bool(self, n):
        return "(0 == 0)" if n[1] else "(0 != 0)"

    def _neg(self, n):
        return "-" + self.show(n[1], 8)

    def _pow(self, n):
        return f"{self.show(n[1], 9)}^{self.show(n[2], 8)}"

    def _div(self, n):
        return f"{self.show(n[1], 6)}/{self.show(n[2], 7)}"

    def _sub(self, n):
        return f"{self.show(n[1], 5)} - {self.show(n[2], 6)}"

    def _add(self, n):
        parts = [self.show(n[1][0], 5)]
        for child in n[1][1:]:
            if child[0] == "neg":
                parts.append(" - " + self.show(child[1], 6))
            else:
                parts.append(" + " + self.show(child, 6))
        return "".join(parts)

    def _mul(self, n):
        return "*".join([self.show(n[1][0], 6)] + [self.show(c, 7) for c in n[1][1:]])

    def _cmp(self, n):
        return f"{self.show(n[2], 5)} {n[1]} {self.show(n[3], 5)}"

    def _not(self, n):
        return "not " + self.show(n[1], 3)

    def _and(self, n):
        return " and ".join(self.show(c, 3) for c in n[1])

    def _or(self, n):
        return " or ".join(self.show(c, 2) for c in n[1])

    def _if(self, n):
        return "if(" + ", ".join(self.show(c, 0) for c in n[1:]) + ")"

    def _call(self, n):
        return n[1] + "(" + ", ".join(self.show(c, 0) for c in n[2]) + ")"


# Where a formula cannot use lets (parameter defaults and initial values), inlined
# function definitions are written out: at most this many tree nodes per expression.
MAX_INLINED = 20_000


def expanded_size(node, memo: dict | None = None, stop=frozenset()) -> int:
    """The number of nodes of ``node`` written out as text (shared subtrees counted
    each time they occur, a subtree whose id is in ``stop`` as one node), in time
    linear in the number of distinct subtrees."""
    memo = {} if memo is None else memo
    memo.update({key: 1 for key in stop if key != id(node)})
    stack = [node]
    while stack:   # iterative post-order: trees may be deep
        n = stack[-1]
        if id(n) in memo:
            stack.pop()
            continue
        todo = [c for c in children(n) if id(c) not in memo]
        if todo:
            stack.extend(todo)
            continue
        stack.pop()
        memo[id(n)] = 1 + sum(memo[id(c)] for c in children(n))
    return memo[id(node)]
