"""Structure of a reaction network: stoichiometry, conservation laws, complexes, deficiency.

Pure functions of species names and `ir.Reaction`s; `analyze` gathers them in
an `ir.ReactionNetwork`. Terms follow chemical reaction network theory: a
*complex* is a side of a reaction (``0`` is the zero complex), a *linkage
class* is a connected component of the graph of complexes joined by
reactions, and the *deficiency* is ``complexes - linkage classes - rank(N)``.
"""

from __future__ import annotations

from functools import partial, reduce
from math import gcd
from typing import TYPE_CHECKING

import sympy
from sympy import QQ, ZZ
from sympy.polys.matrices import DomainMatrix

from ..ir import ConservationLaw, Reaction, ReactionNetwork

if TYPE_CHECKING:  # networkx is imported where used: `modelc check` does not load it
    import networkx as nx

__all__ = [
    "analyze",
    "stoichiometry_matrix",
    "conservation_laws",
    "complexes",
    "linkage_classes",
    "bipartite_graph",
]

# The search for non-negative conservation laws keeps at most this many candidates.
_MAX_CANDIDATES = 2000
# ... and stops (completing the basis from the echelon form) after about this many support
# comparisons, so that a network of thousands of reactions is analysed in seconds.
_MAX_WORK = 4_000_000


def analyze(species: tuple[str, ...], reactions: tuple[Reaction, ...]) -> ReactionNetwork:
    """The `ReactionNetwork` of ``reactions`` over ``species`` (in this order).

    Sparse throughout (the stoichiometry is kept as its nonzeros), so that a network
    of thousands of reactions is analysed in time about linear in its size; the
    search for non-negative conservation laws has a work budget (`_MAX_WORK`), and
    it, the SymPy matrix and the graph are left to first use (`ReactionNetwork`).
    """
    entries = _stoichiometry_entries(species, reactions)
    integer_entries = _integer_columns(entries)  # same left null space: columns scaled by positive integers
    left_null = _left_null_space(integer_entries, len(species), len(reactions))
    found = complexes(reactions)
    classes = linkage_classes(reactions, found)
    ordered = sorted(entries.items(), key=lambda item: item[0][::-1])   # by reaction, then species
    return ReactionNetwork(
        species=tuple(species),
        reactions=tuple(reactions),
        stoichiometry_entries=tuple((i, j, sympy.sympify(c)) for (i, j), c in ordered),
        rates=tuple(r.rate for r in reactions),
        complexes=found,
        linkage_classes=classes,
        deficiency=len(found) - len(classes) - (len(species) - len(left_null)),
        laws_of=partial(_laws, tuple(species), integer_entries, len(reactions), left_null),
        graph_of=partial(bipartite_graph, tuple(species), tuple(reactions)),
    )


def stoichiometry_matrix(species: tuple[str, ...], reactions: tuple[Reaction, ...]) -> sympy.ImmutableMatrix:
    """Species x reactions integers: products minus reactants (a reversible reaction is one column)."""
    return _matrix(_stoichiometry_entries(species, reactions), len(species), len(reactions))


def _stoichiometry_entries(species, reactions) -> dict[tuple[int, int], object]:
    """The nonzeros ``{(species, reaction): change}`` of the stoichiometry matrix."""
    index = {name: i for i, name in enumerate(species)}
    entries: dict = {}
    for j, r in enumerate(reactions):
        for name, c in r.reactants:
            entries[index[name], j] = entries.get((index[name], j), 0) - c
        for name, c in r.products:
            entries[index[name], j] = entries.get((index[name], j), 0) + c
    return {key: c for key, c in entries.items() if c != 0}


def _matrix(entries: dict, n: int, m: int) -> sympy.ImmutableSparseMatrix:
    """The n x m matrix with these nonzeros (sparse: a large network has few per column)."""
    return sympy.ImmutableSparseMatrix(n, m, {key: sympy.sympify(c) for key, c in entries.items()})


def _integer_columns(entries: dict) -> dict[tuple[int, int], int]:
    """The entries with each column multiplied by the lcm of its denominators (decimal
    coefficients such as ``0.5 A`` give rational entries); integer columns are unchanged."""
    scales: dict = {}
    for (_, j), c in entries.items():
        q = sympy.Rational(c).q
        if q != 1:
            scales[j] = sympy.ilcm(scales.get(j, 1), q)
    return {(i, j): int(c * scales[j]) if j in scales else int(c) for (i, j), c in entries.items()}


def _left_null_space(entries: dict, n: int, m: int) -> list[list[int]]:
    """An integer basis (rows) of ``{y : y N = 0}``, from the reduced row echelon form."""
    if n == 0:
        return []
    if m == 0 or not entries:
        return [[int(i == k) for k in range(n)] for i in range(n)]
    rows: dict = {}
    for (i, j), c in entries.items():
        rows.setdefault(j, {})[i] = QQ(c)
    transposed = DomainMatrix(rows, (m, n), QQ)
    null = transposed.nullspace().to_dense()
    if null.shape[0] == 0:
        return []
    echelon = null.rref()[0].to_list()
    return [_primitive(row) for row in echelon if any(row)]


def bipartite_graph(species: tuple[str, ...], reactions: tuple[Reaction, ...]) -> nx.DiGraph:
    """Species and reactions as nodes; reactant -> reaction -> product edges weighted by coefficient."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from((("species", s) for s in species), bipartite=0)
    for r in reactions:
        node = ("reaction", r.label)
        graph.add_node(node, bipartite=1, reversible=r.reversible)
        graph.add_edges_from((("species", s), node, {"weight": c}) for s, c in r.reactants)
        graph.add_edges_from((node, ("species", s), {"weight": c}) for s, c in r.products)
    return graph


# ---- complexes -------------------------------------------------------------------------


def _complex(side: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(side))


def complexes(reactions: tuple[Reaction, ...]) -> tuple[tuple[tuple[str, int], ...], ...]:
    """The distinct complexes in order of first appearance (``()`` is the zero complex)."""
    seen: dict = {}
    for r in reactions:
        for side in (r.reactants, r.products):
            seen.setdefault(_complex(side), None)
    return tuple(seen)


def linkage_classes(reactions: tuple[Reaction, ...], found) -> tuple[tuple[int, ...], ...]:
    """Connected components of the complex graph, as sorted indices into ``found``."""
    index = {c: i for i, c in enumerate(found)}
    parent = list(range(len(found)))  # union-find over the complexes (no networkx import)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in reactions:
        parent[root(index[_complex(r.reactants)])] = root(index[_complex(r.products)])
    classes: dict[int, list[int]] = {}
    for i in range(len(found)):
        classes.setdefault(root(i), []).append(i)
    return tuple(sorted(tuple(c) for c in classes.values()))


# ---- conservation laws -------------------------------------------------------------------


def conservation_laws(species: tuple[str, ...], matrix: sympy.Matrix) -> tuple[ConservationLaw, ...]:
    """A basis of the left null space of ``matrix`` (species x reactions) with integer coefficients.

    Non-negative laws with minimal support (as for Petri-net P-invariants) are
    preferred; the basis is completed, where they do not span the null space,
    from the reduced row echelon form of the null space, scaled to integers.
    Laws are ordered by their first species, then by size.
    """
    entries = _integer_columns({(i, j): sympy.Rational(matrix[i, j]) for i in range(matrix.rows)
                                for j in range(matrix.cols) if matrix[i, j] != 0})
    return _laws(species, entries, matrix.cols, _left_null_space(entries, matrix.rows, matrix.cols))


def _laws(species, rows, m, left_null) -> tuple[ConservationLaw, ...]:
    if not left_null:
        return ()
    chosen: list[list[int]] = []
    for vector in _semipositive_invariants(rows, len(species), m) + left_null:
        if _rank([*chosen, vector]) > len(chosen):
            chosen.append(vector)
        if len(chosen) == len(left_null):
            break
    chosen.sort(key=lambda v: (next(i for i, c in enumerate(v) if c), sum(1 for c in v if c), v))
    return tuple(
        ConservationLaw(tuple((species[i], c) for i, c in enumerate(v) if c)) for v in chosen
    )


def _rank(rows: list[list[int]]) -> int:
    return DomainMatrix.from_list(rows, ZZ).convert_to(QQ).rank()


def _primitive(vector) -> list[int]:
    """Integer vector with gcd 1 and a positive first nonzero entry."""
    values = [sympy.Rational(x) if not isinstance(x, int) else sympy.Integer(x) for x in vector]
    scale = reduce(sympy.ilcm, (v.q for v in values), 1)
    ints = [int(v * scale) for v in values]
    common = reduce(gcd, (abs(x) for x in ints), 0) or 1
    ints = [x // common for x in ints]
    first = next((x for x in ints if x), 1)
    return [-x for x in ints] if first < 0 else ints


def _semipositive_invariants(entries: dict, n: int, m: int) -> list[list[int]]:
    """Minimal-support vectors ``y >= 0`` with ``y N = 0`` (Farkas' algorithm); ``[]`` if too
    many candidates or too much work (then the caller completes a basis from the echelon form)."""
    rows: list[dict[int, int]] = [{} for _ in range(n)]
    for (i, j), c in entries.items():
        rows[i][j] = c
    # Each candidate: (its product with N as {column: value}, the combination of species, its
    # support as a bit set).
    candidates = [(dict(rows[i]), {i: 1}, 1 << i) for i in range(n)]
    work = 0
    for j in range(m):
        keep = [c for c in candidates if not c[0].get(j)]
        positive = [c for c in candidates if c[0].get(j, 0) > 0]
        negative = [c for c in candidates if c[0].get(j, 0) < 0]
        if len(keep) + len(positive) * len(negative) > _MAX_CANDIDATES:
            return []
        if not positive or not negative:   # nothing combined: the kept set stays minimal
            candidates = keep
            continue
        for p in positive:
            for q in negative:
                a, b = -q[0][j], p[0][j]
                keep.append(_combined(a, p, b, q))
        work += len(keep) ** 2
        if work > _MAX_WORK:
            return []
        candidates = _minimal_support(keep)
    return sorted((_dense(c[1], n) for c in candidates), key=lambda y: (sum(1 for x in y if x), y[::-1]))


def _dense(vector: dict[int, int], n: int) -> list[int]:
    return [vector.get(i, 0) for i in range(n)]


def _combined(a: int, p, b: int, q):
    product = {k: a * p[0].get(k, 0) + b * q[0].get(k, 0) for k in p[0].keys() | q[0].keys()}
    combination = {k: a * p[1].get(k, 0) + b * q[1].get(k, 0) for k in p[1].keys() | q[1].keys()}
    common = reduce(gcd, combination.values(), 0) or 1
    return ({k: x // common for k, x in product.items() if x},
            {k: x // common for k, x in combination.items() if x}, p[2] | q[2])


def _minimal_support(candidates):
    """Drop candidates whose support contains another's (equal supports: keep the first)."""
    kept = []
    for c in sorted(candidates, key=lambda c: c[2].bit_count()):
        if not any(k[2] & ~c[2] == 0 for k in kept):
            kept.append(c)
    return kept
