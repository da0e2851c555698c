"""``reduce_conservation=True``: one species per conservation law is eliminated, same solution."""

from __future__ import annotations

import numpy as np
import pytest

import modelc
from modelc import ir
from modelc.api import compile_source
from modelc.frontend.parser import parse_source
from modelc.passes.reactions import eliminate_conserved, lower_reactions
from modelc.passes.verify import verify

MM = """\
model mm
parameter kf = 2, kr = 1, kcat = 1.5, E0 = 0.5
species E = E0, S = 10, ES = 0, P = 0
reaction E + S <-> ES, kf, kr
reaction ES -> E + P, kcat
observe bound = ES/(E + ES)
simulate t = [0, 20], points = 81
"""

TIGHT = dict(method="tsit5", rtol=1e-11, atol=1e-12)


def reduced(text: str) -> ir.Model:
    return verify(eliminate_conserved(verify(lower_reactions(parse_source(text)))))


def test_michaelis_menten_reduces_to_two_states():
    m = reduced(MM)
    assert m.state_names == ("E", "S")
    assert m.parameter_names[-2:] == ("total_ES", "total_P")
    totals = {p.name: p.default for p in m.parameters[-2:]}
    assert totals == {"total_ES": ir.symbol("E0"), "total_P": 10}
    observes = {o.name: o.expr for o in m.observes}
    E, S, tES, tP = (ir.symbol(n) for n in ("E", "S", "total_ES", "total_P"))
    assert observes["ES"] == tES - E
    assert observes["P"] == tP - S - tES + E
    assert observes["bound"] == (tES - E) / tES
    assert m.network.eliminated == (("ES", "total_ES"), ("P", "total_P"))


@pytest.mark.parametrize("text", [MM, MM.replace("S = 10", "S = 3").replace("E0 = 0.5", "E0 = 2")])
def test_reduced_model_gives_the_same_solution(text):
    full = modelc.parse(text, cache_modules=False)
    small = modelc.parse(text, cache_modules=False, reduce_conservation=True)
    assert full.state_names == ("E", "S", "ES", "P") and small.state_names == ("E", "S")
    a, b = full.solve(**TIGHT), small.solve(**TIGHT)
    assert a.ok and b.ok
    for name in ("E", "S", "ES", "P", "bound"):
        np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-8, err_msg=name)


def test_totals_follow_parameter_overrides():
    full = modelc.parse(MM, cache_modules=False)
    small = modelc.parse(MM, cache_modules=False, reduce_conservation=True)
    a, b = full.solve(params={"E0": 1.25}, **TIGHT), small.solve(params={"E0": 1.25}, **TIGHT)
    np.testing.assert_allclose(b["ES"], a["ES"], rtol=0, atol=1e-8)
    assert b["E"][0] + b["ES"][0] == pytest.approx(1.25)


def test_overriding_a_kept_species_needs_the_total_too():
    small = modelc.parse(MM, cache_modules=False, reduce_conservation=True)
    full = modelc.parse(MM, cache_modules=False)
    a = full.solve(y0={"S": 4.0}, **TIGHT)
    b = small.solve(y0={"S": 4.0}, params={"total_P": 4.0}, **TIGHT)
    np.testing.assert_allclose(b["P"], a["P"], rtol=0, atol=1e-8)


def test_robertson_reduces_and_agrees(examples_dir):
    text = (examples_dir / "robertson.model").read_text()
    m = reduced(text)
    assert m.state_names == ("A", "B") and m.observe_names == ("C",)
    full = modelc.parse(text, cache_modules=False)
    small = modelc.parse(text, cache_modules=False, reduce_conservation=True)
    ts = np.linspace(0, 0.05, 6)
    a = full.solve(saveat=ts, **TIGHT)
    b = small.solve(saveat=ts, **TIGHT)
    for name in "ABC":
        np.testing.assert_allclose(b[name], a[name], rtol=0, atol=1e-8, err_msg=name)


def test_no_law_means_no_change():
    m = lower_reactions(parse_source("species A = 1, B = 0\nparameter k = 1\nreaction A -> B, k\nreaction B -> 0, k\n"))
    assert eliminate_conserved(m) is m


def test_a_taken_total_name_is_not_reused():
    m = reduced("parameter total_B = 7, k = 1\nspecies A = 1, B = 0\nreaction A <-> B, k, k\n")
    assert m.parameter_names == ("total_B", "k", "total_B_2")
    assert m.observes[0].expr == ir.symbol("total_B_2") - ir.symbol("A")


def test_reduce_option_is_part_of_the_cache_key():
    first = modelc.parse(MM, reduce_conservation=True)
    second = modelc.parse(MM)
    third = modelc.parse(MM, reduce_conservation=True)
    assert first.state_names == third.state_names == ("E", "S")
    assert second.state_names == ("E", "S", "ES", "P")
    _, source = compile_source(MM, reduce_conservation=True)
    assert "total_ES" in source


def test_load_passes_the_option(examples_dir):
    m = modelc.load(examples_dir / "michaelis_menten.model", reduce_conservation=True, cache_modules=False)
    assert m.state_names == ("E", "S")
    assert set(m.observable_names) >= {"ES", "P", "v_mm"}
