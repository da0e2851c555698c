"""Hypothesis strategies shared by the rewrite tests: random SymPy expression trees."""

from hypothesis import strategies as st


def expressions(leaves, unary, max_leaves: int):
    """Trees over ``leaves`` (a strategy) built with + - * /, integer powers -3..4 and
    the functions ``unary``, with at most ``max_leaves`` leaves."""

    def extend(children):
        return st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] - ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] / ab[1]),
            st.tuples(children, st.integers(-3, 4)).map(lambda ab: ab[0] ** ab[1]),
            st.tuples(st.sampled_from(unary), children).map(lambda fa: fa[0](fa[1])),
        )

    return st.recursive(leaves, extend, max_leaves=max_leaves)
