"""Reaction lowering: species become states whose ``der`` is stoichiometry x rates."""

from __future__ import annotations

from pathlib import Path

import sympy

from modelc import ir
from modelc.api import PASSES
from modelc.frontend.parser import parse_file, parse_source
from modelc.passes.reactions import lower_reactions
from modelc.passes.verify import verify

S = ir.symbol
A, B, C, P, Sub = S("A"), S("B"), S("C"), S("P"), S("S")
k1, k2, k3, kf, kr, Vmax, Km, kin, kd = (S(n) for n in "k1 k2 k3 kf kr Vmax Km kin kd".split())

# The "Reaction networks" section of LANGUAGE.md, with the names it uses declared.
CONTRACT = (Path(__file__).resolve().parent.parent / "data" / "reactions_contract.model").read_text()


def lowered(text: str) -> ir.Model:
    return verify(lower_reactions(verify(parse_source(text))))


def ders(model: ir.Model) -> dict:
    return {d.state: d.expr for d in model.derivatives}


def assert_same(actual, expected):
    assert sympy.simplify(actual - expected) == 0, (actual, expected)


def test_contract_lowers_to_the_expected_odes():
    m = lowered(CONTRACT)
    assert m.state_names == ("A", "B", "C", "S", "P")
    assert m.species == () and m.reactions == ()
    d = ders(m)
    r = [k1 * A, k2 * B**2, k3 * B * C, kf * A - kr * B, Vmax * Sub / (Km + Sub), kin, kd * A]
    assert_same(d["A"], -r[0] + r[2] - r[3] + r[5] - r[6])
    assert_same(d["B"], r[0] - r[1] - r[2] + r[3])
    assert_same(d["C"], r[1])
    assert_same(d["S"], -r[4])
    assert_same(d["P"], r[4])
    assert [s.initial for s in m.states] == [1, 0, 0, 1, 0]


def test_mass_action_has_no_combinatorial_factor():
    d = ders(lowered("species A = 1, B = 1, C = 0\nparameter k = 1\nreaction 2A + 3B -> C, k\n"))
    rate = S("k") * A**2 * B**3
    assert (d["A"], d["B"], d["C"]) == (-2 * rate, -3 * rate, rate)


def test_a_species_on_both_sides_changes_by_the_net_coefficient():
    d = ders(lowered("species A = 1, B = 0\nparameter k = 1\nreaction A + B -> 2B, k\n"))
    assert (d["A"], d["B"]) == (-S("k") * A * B, S("k") * A * B)


def test_reversible_reaction():
    d = ders(lowered("species A = 1, B = 0\nparameter kf = 2, kr = 1\nreaction A <-> B, kf, kr\n"))
    assert d["A"] == -(kf * A - kr * B) and d["B"] == kf * A - kr * B


def test_reversible_explicit_rate_is_used_as_the_net_rate():
    d = ders(lowered("species A = 1, B = 0\nparameter kf = 2\nreaction A <-> B, rate = kf*(A - B)\n"))
    assert d["B"] == kf * (A - B)


def test_sources_and_sinks():
    d = ders(lowered("species A = 0\nparameter kin = 1, kd = 2\nreaction 0 -> A, kin\nreaction A -> 0, kd\n"))
    assert d["A"] == kin - kd * A


def test_species_and_states_mix_in_declaration_order():
    text = ("state T = 300\nspecies A = 1\nstate V = 1\nspecies B = 0\nparameter k = 1\n"
            "der(T) = -(T - 290) + A\nder(V) = 0\nreaction A -> B, k*T\nobserve total = A + B\n")
    m = lowered(text)
    assert m.state_names == ("T", "A", "V", "B")
    d = ders(m)
    assert d["T"] == -(S("T") - 290) + A
    assert d["B"] == S("k") * S("T") * A
    assert m.observes[0].expr == A + B


def test_a_species_in_no_reaction_is_constant():
    m = lowered("species A = 1, X = 3\nparameter k = 1\nreaction A -> 0, k\n")
    assert ders(m)["X"] == 0
    assert m.network.stoichiometry.row(1).is_zero_matrix


def test_a_model_without_reactions_is_unchanged():
    m = parse_source("state x = 1\nder(x) = -x\n")
    assert lower_reactions(m) is m
    assert m.network is None


def test_lowering_is_in_the_pipeline_and_keeps_the_invariants(examples_dir):
    assert any(getattr(p, "__name__", "") == "lower_reactions" for p in PASSES)
    for name in ("robertson", "michaelis_menten"):
        model = verify(parse_file(examples_dir / f"{name}.model"))
        for run_pass in PASSES:
            model = verify(run_pass(model))
        assert model.network is not None and not model.species


def test_robertson_example(examples_dir):
    m = verify(lower_reactions(parse_file(examples_dir / "robertson.model")))
    d = ders(m)
    assert d["A"] == -k1 * A + k3 * B * C
    assert d["B"] == k1 * A - k2 * B**2 - k3 * B * C
    assert d["C"] == k2 * B**2
    assert (m.simulate.t0, m.simulate.t1) == (0.0, 1e5)
    assert {p.name: float(p.default) for p in m.parameters} == {"k1": 0.04, "k2": 3e7, "k3": 1e4}


def test_stoichiometry_matrix_and_graph():
    net = lowered(CONTRACT).network
    assert net.species == ("A", "B", "C", "S", "P")
    assert net.reaction_labels == ("r1", "r2", "r3", "r4", "r5", "r6", "r7")
    assert net.stoichiometry == sympy.Matrix([
        [-1, 0, 1, -1, 0, 1, -1],
        [1, -1, -1, 1, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, -1, 0, 0],
        [0, 0, 0, 0, 1, 0, 0],
    ])
    g = net.graph
    assert g.edges[("species", "B"), ("reaction", "r2")]["weight"] == 2
    assert g.has_edge(("reaction", "r3"), ("species", "C")) and g.has_edge(("species", "C"), ("reaction", "r3"))
    assert g.nodes[("reaction", "r4")]["reversible"]
    assert sum(1 for _, data in g.nodes(data=True) if data["bipartite"] == 0) == 5


def test_mass_action_rate_is_the_product_form():
    """``Reaction.rate`` (built as one Mul/Add) equals kf*prod(R^c) - kr*prod(P^c) built
    term by term, structurally (the same SymPy tree), for every kind of side."""
    import itertools

    from modelc.errors import Span

    k, kr = S("k"), S("kr")
    sides = [(), (("A", 1),), (("A", 2),), (("A", 1), ("B", 1)), (("A", sympy.Rational(1, 2)), ("B", 3))]
    for reactants, products in itertools.product(sides, sides):
        for reverse in (None, kr, sympy.Float(2.5)):
            expected = k * sympy.Mul(*(S(a) ** c for a, c in reactants))
            if reverse is not None:
                expected -= reverse * sympy.Mul(*(S(a) ** c for a, c in products))
            rate = ir.Reaction("r", reactants, products, k, reverse, False, Span("f", 1, 1)).rate
            assert sympy.srepr(rate) == sympy.srepr(expected)
