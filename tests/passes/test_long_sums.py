"""Long sums through the e-graph bridge, the printer and the SymPy cache swap
(issue 20 item 4: compile time linear in the number of terms). Checked by structure
and values, never by wall-clock time."""

from __future__ import annotations

import sympy
from numpy.testing import assert_allclose

from modelc.codegen.printer import JaxPrinter
from modelc.passes.rewrite import simplify_exprs
from modelc.passes.rewrite.bridge import Bridge
from modelc.passes.rewrite.schedule import Budget
from modelc.symcache import unbounded_cache

X = sympy.Symbol("x", real=True)
PS = sympy.symbols("p0:100", real=True)


def _sum_depth(term) -> int:
    """Nesting depth of the binary sums at the root of a Term (iterative)."""
    from egglog import get_callable_args, get_callable_fn

    from modelc.passes.rewrite.terms import Term

    deepest, stack = 0, [(term, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if get_callable_fn(node) == Term.__add__:
            stack.extend((a, d + 1) for a in get_callable_args(node))
    return deepest


def test_a_long_sum_enters_the_egraph_as_a_shallow_tree_and_comes_back_equal():
    expr = sympy.Add(*[p * sympy.exp(-X / (i + 1)) for i, p in enumerate(PS)])
    assert _sum_depth(Bridge().to_term(expr)) < 40          # a chain would be ~100 deep
    [back], *_ = simplify_exprs([expr], budget=Budget(iterations=1))
    point = {s: 0.3 + 0.01 * i for i, s in enumerate(sorted(expr.free_symbols, key=str))}
    assert_allclose(float(back.subs(point)), float(expr.subs(point)), rtol=1e-12)


def test_a_long_sum_prints_every_term_once_and_evaluates_to_the_sum():
    expr = sympy.Add(*[p * X**(i % 3) for i, p in enumerate(PS)])
    names = {s.name: s.name + "_" for s in expr.free_symbols}
    text = JaxPrinter(names).doprint(expr)
    assert text.count("+") + text.count(" - ") == len(PS) - 1
    values = {s.name + "_": 0.5 + 0.01 * i for i, s in enumerate(sorted(expr.free_symbols, key=str))}
    expected = float(expr.subs({s: values[s.name + "_"] for s in expr.free_symbols}))
    assert_allclose(eval(text, {}, values), expected, rtol=1e-12)  # noqa: S307 (our own printed text)


def test_the_cache_swap_is_undone_and_nests():
    from sympy.core import cache

    sizes = lambda: [w.cache_info().maxsize for w in cache.CACHE]  # noqa: E731
    before = sizes()
    inner_sizes = []

    @unbounded_cache
    def inner():
        inner_sizes.append(sizes())
        return sympy.Add(*PS[:10])

    @unbounded_cache
    def outer():
        s = sizes()
        inner()
        return s

    during = outer()
    assert sizes() == before
    assert all(size is None for size in during) and inner_sizes == [during]
    assert outer.__name__ == "outer"
