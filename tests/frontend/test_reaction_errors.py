"""One test per reaction-network error: the message, the hint and the exact line:col."""

from __future__ import annotations

import pytest
import sympy
from frontend_helpers import errors, only_error

from modelc import ir
from modelc.frontend.parser import parse_source

S = ir.symbol

# Line 1: parameters; line 2: species; line 3: a state. Reactions go on line 4.
NET = "parameter k = 1, kf = 2, kr = 3\nspecies A = 1, B = 0, Enzyme = 1\nstate x = 1\nder(x) = -x\n"


def at(diag) -> tuple[int, int]:
    return diag.span.line, diag.span.col


def reaction_error(line: str):
    return only_error(NET + line + "\n")


def test_unknown_species_suggests_a_close_match():
    diag = reaction_error("reaction Enzym -> B, k")
    assert diag.message == "undefined species `Enzym`"
    assert diag.hint == "did you mean `Enzyme`?"
    assert at(diag) == (5, 10)
    assert diag.span.end_col == 15


def test_unknown_species_without_a_match_says_how_to_declare_it():
    diag = reaction_error("reaction A -> 2 Zq, k")
    assert diag.message == "undefined species `Zq`"
    assert diag.hint == "declare it: `species Zq = <initial amount>`"
    assert at(diag) == (5, 17)


def test_a_plain_state_cannot_take_part_in_a_reaction():
    diag = reaction_error("reaction A + x -> B, k")
    assert diag.message == "`x` is a state (line 3), not a species"
    assert diag.hint.startswith("declare it with `species x = ...` instead of `state`")
    assert at(diag) == (5, 14)


def test_a_parameter_cannot_take_part_in_a_reaction():
    diag = reaction_error("reaction A -> kf, k")
    assert diag.message == "`kf` is a parameter (line 1), not a species"
    assert at(diag) == (5, 15)


def test_undefined_name_in_a_rate_law():
    diags = errors(NET + "reaction A -> B, rate = Vmax*A/(Km + A)\n")
    assert [(d.message, at(d)) for d in diags] == [
        ("undefined name `Vmax`", (5, 25)),
        ("undefined name `Km`", (5, 33)),
    ]


def test_undefined_rate_constant_suggests_a_parameter():
    diag = reaction_error("reaction A <-> B, kf, krr")
    assert diag.message == "undefined name `krr`"
    assert diag.hint.startswith("did you mean `kr`?")
    assert at(diag) == (5, 23)


def test_rate_law_may_not_use_an_observable():
    diag = only_error(NET + "observe o = A\nreaction A -> B, rate = o\n")
    assert diag.message == "`o` is an observable: an output, which expressions cannot use"
    assert at(diag) == (6, 25)


@pytest.mark.parametrize(
    "line, message, position",
    [
        ("reaction -2A -> B, k", "the coefficient of `A` is negative (`-2A`)", (5, 10)),
        ("reaction A -> -B, k", "the coefficient of `B` is negative (`-B`)", (5, 15)),
        ("reaction 0A -> B, k", "the coefficient of `A` is zero", (5, 10)),
        ("reaction A -> 2 B + 0 B, k", "the coefficient of `B` is zero", (5, 21)),
    ],
)
def test_bad_coefficients(line, message, position):
    diag = reaction_error(line)
    assert diag.message == message
    assert at(diag) == position


def test_negative_coefficient_hint_says_to_move_the_species():
    assert "write it on the reactant side" in reaction_error("reaction A -> -2B, k").hint


def test_a_decimal_coefficient_is_exact_and_raises_the_species_to_it():
    m = parse_source(NET + "reaction 0.5 A -> 1.5B, k\n")
    assert m.reactions[0].reactants == (("A", sympy.Rational(1, 2)),)
    assert m.reactions[0].products == (("B", sympy.Rational(3, 2)),)
    assert m.reactions[0].rate == S("k") * sympy.sqrt(S("A"))


def test_a_whole_float_coefficient_is_accepted():
    m = parse_source(NET + "reaction 2.0A -> B, k\n")
    assert m.reactions[0].reactants == (("A", 2),)


@pytest.mark.parametrize(
    "line, message, position",
    [
        ("reaction 2 -> A, k", "`2` is not a species: a number alone on a side of a reaction must be `0` (no species)",
         (5, 10)),
        ("reaction A + 0 -> B, k", "`0` stands for no species and cannot be added to other species", (5, 14)),
        ("reaction 0 -> 0, k", "this reaction has no species on either side", (5, 12)),
    ],
)
def test_bare_numbers_on_a_side(line, message, position):
    diag = reaction_error(line)
    assert diag.message == message
    assert at(diag) == position


@pytest.mark.parametrize(
    "line, message, position",
    [
        ("reaction A -> B", "`->` needs one rate constant, got 0", (5, 12)),
        ("reaction A -> B, kf, kr", "`->` takes one rate constant, got 2", (5, 22)),
        ("reaction A <-> B, kf", "`<->` needs two rate constants (forward, reverse), got 1", (5, 12)),
        ("reaction A <-> B, kf, kr, k", "`<->` takes two rate constants (forward, reverse), got 3", (5, 27)),
        ("reaction A -> B, k, rate = k*A",
         "a reaction with `rate = ...` takes no rate constants: the rate law is the whole rate", (5, 18)),
        ("reaction A -> B, rate = k*A, rate = 2", "`rate` is given twice; first on line 5", (5, 30)),
        ("reaction A -> B, kf = 2", "unknown reaction option `kf`", (5, 18)),
    ],
)
def test_wrong_rates(line, message, position):
    diag = reaction_error(line)
    assert diag.message == message
    assert at(diag) == position


def test_missing_reverse_constant_hint():
    assert "use `->` for an irreversible reaction" in reaction_error("reaction A <-> B, kf").hint
    assert "`<->`" in reaction_error("reaction A -> B, kf, kr").hint


def test_duplicate_reaction_labels():
    diag = only_error(NET + "reaction bind: A -> B, k\nreaction bind: B -> A, k\n")
    assert diag.message == "reaction label `bind` is used twice; first on line 5"
    assert at(diag) == (6, 10)


def test_species_with_reactions_and_a_der():
    diag = only_error(NET + "reaction A -> B, k\nder(B) = 1\n")
    assert diag.message == (
        "species `B` takes part in reactions (line 5), which give its equation; it cannot also have a `der`"
    )
    assert diag.hint == "write the extra change as a reaction, e.g. `reaction 0 -> B, rate = <expression>`"
    assert at(diag) == (6, 1)


def test_species_without_reactions_cannot_have_a_der():
    diag = only_error(NET + "der(Enzyme) = 1\n")
    assert diag.message == "`der(Enzyme)`: `Enzyme` is a species (line 2), which changes only through reactions"
    assert at(diag) == (5, 5)


def test_species_initial_value_may_use_only_parameters():
    diag = only_error("state x = 1\nder(x) = 0\nspecies A = x\n")
    assert diag.message == "the initial value of species `A` uses state `x`"
    assert at(diag) == (3, 13)


def test_species_name_is_declared_once():
    diag = only_error("parameter A = 1\nspecies A = 1\n")
    assert diag.message == "`A` is declared twice: as a parameter on line 1 and again here as a species"
    assert at(diag) == (2, 9)


def test_reserved_species_name():
    diag = only_error("species t = 1\n")
    assert diag.message == "`t` is reserved for time and cannot name a species"


@pytest.mark.parametrize(
    "line, message, position",
    [
        ("reaction A B, k", "expected `->` or `<->` between the reactants and the products, found name `B`", (5, 12)),
        ("reaction A -> B k", "expected `+`, or `,` and the rate, after the products; found name `k`", (5, 17)),
        ("reaction A -> , k", "expected a species, found `,`", (5, 15)),
        ("reaction 2*A -> B, k", "expected a species, found `*`", (5, 11)),
    ],
)
def test_reaction_syntax_errors(line, message, position):
    diag = reaction_error(line)
    assert diag.message == message
    assert at(diag) == position


def test_independent_reaction_errors_are_reported_together():
    diags = errors(NET + "reaction Aa -> B, k\nreaction A -> B\nreaction A -> -B, q\n")
    assert [(d.span.line, d.message) for d in diags] == [
        (5, "undefined species `Aa`"),
        (6, "`->` needs one rate constant, got 0"),
        (7, "the coefficient of `B` is negative (`-B`)"),
        (7, "undefined name `q`"),
    ]
