"""Network structure: conservation laws, complexes, linkage classes, deficiency, `modelc show`."""

from __future__ import annotations

import pytest
import sympy

from modelc.api import compile_source
from modelc.frontend.parser import parse_source
from modelc.passes.network import conservation_laws
from modelc.passes.reactions import lower_reactions
from modelc.show import describe

MM = """\
parameter kf = 2, kr = 1, kcat = 1.5
species E = 0.5, S = 10, ES = 0, P = 0
reaction E + S <-> ES, kf, kr
reaction ES -> E + P, kcat
"""


def network(text: str):
    return lower_reactions(parse_source(text)).network


def laws(text: str) -> list[str]:
    return [str(law) for law in network(text).conservation_laws]


def test_michaelis_menten_conserves_enzyme_and_substrate():
    assert laws(MM) == ["E + ES", "S + ES + P"]
    # sympy's own null space basis has a law with mixed signs; the non-negative ones win.
    assert any(min(v) < 0 for v in network(MM).stoichiometry.T.nullspace())


def test_conservation_laws_are_in_the_left_null_space():
    net = network(MM)
    for law in net.conservation_laws:
        row = sympy.Matrix([[dict(law.coefficients).get(s, 0) for s in net.species]])
        assert (row * net.stoichiometry).is_zero_matrix


def test_no_conservation_law_with_a_sink():
    assert laws("species A = 1, B = 0\nparameter k = 1\nreaction A -> B, k\nreaction B -> 0, k\n") == []


@pytest.mark.parametrize(
    "reactions, expected",
    [
        ("reaction A -> B, k\nreaction 2B -> B + C, k\nreaction B + C -> A + C, k\n", ["A + B + C"]),
        ("reaction A <-> B, k, k\n", ["A + B", "C"]),
        ("reaction 2A <-> B, k, k\n", ["A + 2*B", "C"]),
        ("reaction A + B -> C, k\n", ["A + C", "B + C"]),
        ("reaction A -> 0, k\n", ["B", "C"]),
    ],
)
def test_integer_non_negative_laws(reactions, expected):
    assert laws("species A = 1, B = 0, C = 0\nparameter k = 1\n" + reactions) == expected


def test_two_non_negative_laws():
    species = ("A", "B", "C", "D")
    matrix = sympy.Matrix([[-1, 0], [1, -1], [1, 0], [0, 1]])  # A -> B + C, B -> D
    assert [str(law) for law in conservation_laws(species, matrix)] == ["A + C", "A + B + D"]


def test_a_law_with_mixed_signs_when_no_non_negative_one_exists():
    assert laws("species A = 1, B = 1\nparameter k = 1\nreaction A + B -> 0, k\n") == ["A - B"]


def test_complexes_linkage_classes_and_deficiency_zero():
    net = network("species A = 1, B = 0\nparameter kf = 1, kr = 1\nreaction A <-> B, kf, kr\n")
    assert net.complexes == ((("A", 1),), (("B", 1),))
    assert net.linkage_classes == ((0, 1),)
    assert (net.rank, net.deficiency) == (1, 0)


def test_michaelis_menten_has_deficiency_zero():
    net = network(MM)
    assert len(net.complexes) == 3 and len(net.linkage_classes) == 1
    assert net.deficiency == 0


def test_lotka_volterra_network_has_deficiency_one():
    # A -> 2A, A + B -> 2B, B -> 0: 6 complexes, 3 linkage classes, rank 2.
    net = network("species A = 1, B = 1\nparameter a = 1, b = 1, c = 1\n"
                  "reaction A -> 2A, a\nreaction A + B -> 2B, b\nreaction B -> 0, c\n")
    assert len(net.complexes) == 6 and () in net.complexes
    assert len(net.linkage_classes) == 3
    assert (net.rank, net.deficiency) == (2, 1)


def test_robertson_has_deficiency_one(examples_dir):
    net = network((examples_dir / "robertson.model").read_text())
    assert len(net.complexes) == 5 and len(net.linkage_classes) == 2
    assert (net.rank, net.deficiency) == (2, 1)
    assert [str(law) for law in net.conservation_laws] == ["A + B + C"]


def test_show_prints_the_network():
    model, _ = compile_source("model mm\n" + MM)
    text = describe(model)
    for line in [
        "species: E, S, ES, P",
        "  r1: E + S <-> ES   rate = E*S*kf - ES*kr",
        "  r2: ES -> E + P    rate = ES*kcat",
        "stoichiometry matrix (species x reactions):",
        "      r1  r2",
        "  E   -1   1",
        "  ES   1  -1",
        "  E + ES = constant",
        "  S + ES + P = constant",
        "complexes: E + S, ES, E + P",
        "linkage classes: {E + S, ES, E + P}",
        "deficiency: 3 complexes - 1 linkage class - rank 2 = 0",
    ]:
        assert line in text.splitlines(), line


def test_show_says_none_without_laws_and_lists_eliminated_species():
    text = describe(compile_source("species A = 1\nparameter k = 1\nreaction A -> 0, k\n")[0])
    assert "conservation laws:\n  (none)" in text
    reduced = describe(compile_source(MM, reduce_conservation=True)[0])
    assert "  ES: total_ES = E + ES" in reduced
    assert "  P: total_P = S + ES + P" in reduced
