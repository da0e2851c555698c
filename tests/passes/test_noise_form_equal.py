"""The noise form's equality test: a sample point settles most differences, simplify the rest."""

import sympy

from modelc.passes.noise_form import _equal

k, t = sympy.symbols("k t", real=True)


def test_equal_up_to_simplification():
    assert _equal(k * t, t * k)
    assert _equal((k**2 - 1) / (k - 1), k + 1)
    assert _equal(sympy.sin(t) ** 2 + sympy.cos(t) ** 2, sympy.Integer(1))
    assert _equal(sympy.log(sympy.exp(k)), k)


def test_different_at_a_point_or_after_simplification():
    assert not _equal(k, 2 * k)
    assert not _equal(sympy.sqrt(k**2), k - 1)
    assert not _equal(sympy.Function("g")(t), sympy.Function("h")(t))
