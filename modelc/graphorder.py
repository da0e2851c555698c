"""Dependency order without networkx: the code generator and the let passes run on
every ``modelc check``, and networkx costs about 0.1-0.2 s to import.

Graphs are given as a node sequence and ``(before, after)`` edges.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence

__all__ = ["topological_order", "ancestors"]


def topological_order(nodes: Sequence[Hashable], edges: Iterable[tuple[Hashable, Hashable]],
                      key: Callable | None = None) -> list:
    """``nodes`` sorted so that every edge's first node comes before its second; among
    nodes free at the same time the one with the smallest ``key`` first (default: the
    position in ``nodes``), so the order is stable. Raises ValueError on a cycle."""
    position = {node: i for i, node in enumerate(nodes)}
    key = key or position.__getitem__
    successors: dict = {node: set() for node in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for before, after in edges:
        if after not in successors[before]:
            successors[before].add(after)
            indegree[after] += 1
    ready = [(key(n), position[n], n) for n in nodes if indegree[n] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, _, node = heapq.heappop(ready)
        order.append(node)
        for nxt in successors[node]:
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                heapq.heappush(ready, (key(nxt), position[nxt], nxt))
    if len(order) != len(position):
        raise ValueError("the dependencies form a cycle")
    return order


def ancestors(edges: Iterable[tuple[Hashable, Hashable]], targets: Iterable[Hashable]) -> set:
    """Every node from which a node of ``targets`` can be reached (``targets`` included)."""
    predecessors: dict = {}
    for before, after in edges:
        predecessors.setdefault(after, []).append(before)
    seen = set(targets)
    stack = list(seen)
    while stack:
        for before in predecessors.get(stack.pop(), ()):
            if before not in seen:
                seen.add(before)
                stack.append(before)
    return seen
