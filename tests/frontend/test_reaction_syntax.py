"""Reaction networks as parsed: species, reactions, labels, coefficients, rates (LANGUAGE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from frontend_helpers import S

from modelc import ir
from modelc.errors import Span
from modelc.frontend.parser import parse_source

# The "Reaction networks" section of LANGUAGE.md, with the names it uses declared.
CONTRACT = (Path(__file__).resolve().parent.parent / "data" / "reactions_contract.model").read_text()


@pytest.fixture(scope="module")
def contract():
    return parse_source(CONTRACT, "net.model")


def test_species_are_declared_with_initial_values(contract):
    assert [s.name for s in contract.species] == ["A", "B", "C", "S", "P"]
    assert contract.species[0] == ir.Species("A", sympy.Integer(1), Span("net.model", 1, 9, 14))
    assert contract.states == () and contract.derivatives == ()


def test_reactions_of_the_contract(contract):
    r = contract.reactions
    assert [x.label for x in r] == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    assert r[0] == ir.Reaction("r1", (("A", 1),), (("B", 1),), S("k1"), None, False, Span("net.model", 5, 1, 20))
    assert (r[1].reactants, r[1].products) == ((("B", 2),), (("B", 1), ("C", 1)))
    assert (r[2].reactants, r[2].products) == ((("B", 1), ("C", 1)), (("A", 1), ("C", 1)))
    assert (r[3].forward, r[3].reverse, r[3].reversible) == (S("kf"), S("kr"), True)
    assert r[4].explicit and r[4].reverse is None
    assert (r[5].reactants, r[5].products) == ((), (("A", 1),))
    assert (r[6].reactants, r[6].products) == ((("A", 1),), ())


@pytest.mark.parametrize(
    "index, rate",
    [
        (0, S("k1") * S("A")),
        (1, S("k2") * S("B") ** 2),
        (2, S("k3") * S("B") * S("C")),
        (3, S("kf") * S("A") - S("kr") * S("B")),
        (4, S("Vmax") * S("S") / (S("Km") + S("S"))),
        (5, S("kin")),
        (6, S("kd") * S("A")),
    ],
)
def test_rates_are_mass_action_or_explicit(contract, index, rate):
    assert sympy.simplify(contract.reactions[index].rate - rate) == 0


@pytest.mark.parametrize("text", ["2B -> B + C", "2 B -> B + C", "2B->B+C", "B + B -> B + C"])
def test_coefficients_with_or_without_space_or_repeated(text):
    m = parse_source(f"species B = 1, C = 0\nparameter k = 1\nreaction {text}, k\n")
    assert m.reactions[0].reactants == (("B", 2),)
    assert m.reactions[0].rate == S("k") * S("B") ** 2


def test_rate_is_an_option_word_only_in_its_position():
    m = parse_source("parameter rate = 2\nspecies A = 1, B = 0\nreaction A -> B, rate\n"
                     "reaction B -> A, rate = rate*B^2\n")
    assert m.parameters[0].name == "rate"
    assert m.reactions[0].rate == S("rate") * S("A")
    assert m.reactions[1].explicit and m.reactions[1].rate == S("rate") * S("B") ** 2


def test_reversible_explicit_rate_is_the_net_rate():
    m = parse_source("species A = 1, B = 0\nparameter kf = 1, kr = 2\nreaction A <-> B, rate = kf*A - kr*B^2\n")
    r = m.reactions[0]
    assert r.reversible and r.explicit and r.reverse is None
    assert r.rate == S("kf") * S("A") - S("kr") * S("B") ** 2


def test_rate_constants_are_expressions():
    m = parse_source("parameter k = 2, T = 300\nspecies A = 1\nreaction A -> 0, k*exp(-1/T)\n"
                     "reaction 0 -> A, 1.5\n")
    assert m.reactions[0].forward == S("k") * sympy.exp(-1 / S("T"))
    assert m.reactions[1].rate == sympy.Float("1.5")


def test_species_and_states_mix_and_rates_may_use_states_and_time():
    m = parse_source(
        "state T = 1\nder(T) = -T\nspecies A = 2*k, B = 0\nparameter k = 1\n"
        "reaction A -> B, k*T*(1 + t)\nobserve ratio = A/(A + B)\nlet total = A + B\n"
    )
    assert m.state_names == ("T",)
    assert m.species[0].initial == 2 * S("k")
    assert m.reactions[0].rate == S("k") * S("T") * (1 + ir.TIME) * S("A")


def test_a_species_in_no_reaction_is_allowed():
    m = parse_source("species A = 1, X = 3\nparameter k = 1\nreaction A -> 0, k\n")
    assert [s.name for s in m.species] == ["A", "X"]


def test_labels_and_automatic_labels():
    m = parse_source("species A = 1\nparameter k = 1\nreaction A -> 0, k\nreaction r1: 0 -> A, k\n"
                     "reaction decay: A -> 0, k\n")
    assert [r.label for r in m.reactions] == ["#1", "r1", "decay"]


def test_reactions_continue_inside_brackets_and_take_comments():
    m = parse_source("species A = 1\nparameter k = 1, K = 2\n"
                     "reaction A -> 0, rate = (k*A /   # saturating\n   (K + A))\n")
    assert m.reactions[0].rate == S("k") * S("A") / (S("K") + S("A"))
