"""Shared lets for inlined SBML function definitions (issue 20, item 3).

The translator inlines function definitions, but a call repeated with the same
arguments is one shared subtree. Written out as text, a subtree shared n ways is
copied n times, and functions that each call the previous one twice grow as 2^n.
`share_calls` gives every inlined call that is used more than once its own
``let``, so the model text stays as small as the SBML.
"""

from __future__ import annotations

from .sbml_tree import children

__all__ = ["share_calls"]

_LEAVES = ("num", "sym", "time", "pi", "bool")


def share_calls(roots, call_results: dict, fresh) -> tuple[dict, list]:
    """Lets for the inlined calls used more than once in ``roots``.

    Args:
        roots: the trees that will be written where lets may be used.
        call_results: ``id(tree) -> (function name, tree)`` of the inlined calls.
        fresh: ``fresh(base) -> str``, a new unused model name.
    Returns:
        ``(shared, lets)``: ``id(tree) -> let name`` (for `to_text`), and the
        ``(name, tree)`` pairs to define, each after the lets it uses.
    """
    counts: dict[int, int] = {}
    order: list = []            # distinct nodes, children before parents
    seen: set[int] = set()
    for root in roots:
        counts[id(root)] = counts.get(id(root), 0) + 1
        _post_order(root, seen, counts, order)
    shared, lets = {}, []
    for node in order:
        key = id(node)
        if key in call_results and counts.get(key, 0) >= 2 and node[0] not in _LEAVES:
            name = fresh(f"{call_results[key][0]}_value")
            shared[key] = name
            lets.append((name, node))
    return shared, lets


def _post_order(root, seen: set, counts: dict, order: list) -> None:
    if id(root) in seen:
        return
    seen.add(id(root))
    stack = [(root, iter(children(root)))]
    while stack:
        node, todo = stack[-1]
        child = next(todo, None)
        if child is None:
            stack.pop()
            order.append(node)
            continue
        counts[id(child)] = counts.get(id(child), 0) + 1
        if id(child) not in seen:
            seen.add(id(child))
            stack.append((child, iter(children(child))))
