"""The IR invariants hold for every example after parsing and after every pass."""

from __future__ import annotations

import dataclasses

import pytest
import sympy

from modelc.api import PASSES
from modelc.frontend.parser import parse_file
from modelc.ir import symbol
from modelc.passes.inline import inline_lets
from modelc.passes.verify import verify


@pytest.mark.parametrize("name", ["lorenz", "vanderpol", "lotka_volterra", "pendulum", "three_body"])
def test_examples_satisfy_invariants_through_the_pipeline(examples_dir, name):
    model = verify(parse_file(examples_dir / f"{name}.model"))
    for run_pass in PASSES + (inline_lets,):
        model = verify(run_pass(model))


def test_verify_catches_an_undeclared_name(examples_dir):
    model = parse_file(examples_dir / "lorenz.model")
    bad = dataclasses.replace(
        model,
        derivatives=(dataclasses.replace(model.derivatives[0], expr=symbol("nope")),)
        + model.derivatives[1:],
    )
    with pytest.raises(AssertionError, match="nope"):
        verify(bad)


def test_inline_lets_preserves_values(examples_dir):
    model = parse_file(examples_dir / "three_body.model")
    flat = inline_lets(model)
    point = {symbol(s.name): 0.1 * (i + 1) ** 1.3 for i, s in enumerate(model.states)}
    point.update({symbol(p.name): float(p.default) for p in model.parameters})
    lets = {symbol(le.name): le.expr for le in model.lets}
    for before, after in zip(model.derivatives, flat.derivatives):
        nested = before.expr
        for _ in range(3):
            nested = nested.xreplace(lets)
        assert sympy.N(nested.xreplace(point) - after.expr.xreplace(point)) == pytest.approx(0, abs=1e-12)
