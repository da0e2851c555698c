"""`modelc.graphorder` against networkx (the independent reference) on random graphs."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from modelc.graphorder import ancestors, topological_order


def _random_dag(seed: int, n: int = 30, p: float = 0.15):
    rng = random.Random(seed)
    names = [f"v{rng.randrange(1000):03d}_{i}" for i in range(n)]
    rng.shuffle(names)
    edges = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    rng.shuffle(names)  # the node order is not the topological one
    return names, edges


@pytest.mark.parametrize("seed", range(8))
def test_order_and_ancestors_equal_networkx(seed):
    names, edges = _random_dag(seed)
    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    graph.add_edges_from(edges)
    position = {name: i for i, name in enumerate(names)}
    assert topological_order(names, edges) == list(
        nx.lexicographical_topological_sort(graph, key=position.__getitem__))
    assert topological_order(names, edges, key=str) == list(nx.lexicographical_topological_sort(graph, key=str))
    targets = names[:3]
    expected = set(targets).union(*(nx.ancestors(graph, t) for t in targets))
    assert ancestors(edges, targets) == expected


def test_a_cycle_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        topological_order(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
