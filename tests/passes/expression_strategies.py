"""Hypothesis strategies shared by the rewrite tests: random SymPy expression trees."""

import sympy
from hypothesis import strategies as st

_NON_FINITE = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def expressions(leaves, unary, max_leaves: int):
    """Trees over ``leaves`` (a strategy) built with + - * /, integer powers -3..4 and
    the functions ``unary``, with at most ``max_leaves`` leaves; none holds a
    non-finite constant (SymPy folds ``1/0`` to ``zoo``, e.g. ``sin(zoo*x)``, which
    no model can contain and ``evalf`` cannot evaluate)."""

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] / ab[1]),
            st.tuples(children, st.integers(-3, 4)).map(lambda ab: ab[0] ** ab[1]),
            st.tuples(st.sampled_from(unary), children).map(lambda fa: fa[0](fa[1])),
        )

    trees = st.recursive(leaves, extend, max_leaves=max_leaves)
    return trees.filter(lambda e: not e.has(*_NON_FINITE))
