"""Many scalar states as one array: a read-only mapping name -> column, a one-leaf pytree.

`CompiledModel.solver`'s function returns ``{state: values at ts}``. As a plain
dict, every state is its own output of the traced program, and XLA on CPU
compiles one kernel per output slice: about 25 ms each, so the outputs of an
800-species network alone took a minute to compile (issue 16). A `StateMap`
holds the loop's states as one array whose last axis is the state, and is
registered as a pytree with that array as its only leaf: under ``jax.jit`` the
program has one output, and ``out[name]`` slices the column where it is used
(inside the traced function, or on the result).

It behaves as a read-only ``Mapping`` (keys, values, items, ``in``, ``len``,
``dict(out)``). Transformations that keep the last axis the state axis keep it
meaningful: ``jax.vmap`` (batch axes in front), ``jax.tree.map`` of indexing on
leading axes (``x[-1]``), ``jax.jacfwd`` with respect to scalars or dicts of
scalars (the leaf becomes that dict of arrays, and each column is taken in every
entry). A ``jax.tree.map`` that reduces the last axis (``jnp.sum``) sees the one
leaf, not one leaf per state. Models with fewer than `STATE_MAP_MIN` states get
a plain dict (`states_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import jax

__all__ = ["StateMap", "states_dict", "STATE_MAP_MIN"]

STATE_MAP_MIN = 16
"""Scalar models with at least this many states return a `StateMap` (one output); smaller
ones a plain dict (measured: docs/benchmarks.md, "outputs of the pure solver")."""


@lru_cache(maxsize=64)
def _positions(names: tuple[str, ...]) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


@jax.tree_util.register_pytree_node_class
class StateMap(Mapping):
    """``name -> array[..., i]`` over one array ``array`` (last axis: the states in the
    order of ``names``); see the module docstring."""

    __slots__ = ("array", "names")

    def __init__(self, array, names: tuple[str, ...]):
        self.array = array
        self.names = tuple(names)

    def __getitem__(self, name):
        i = _positions(self.names)[name]
        if isinstance(self.array, Mapping):   # jacfwd w.r.t. a dict of scalars: a dict of arrays
            return {key: leaf[..., i] for key, leaf in self.array.items()}
        return self.array[..., i]

    def __iter__(self):
        return iter(self.names)

    def __len__(self):
        return len(self.names)

    def __contains__(self, name):
        return name in _positions(self.names)

    def __repr__(self):
        shape = getattr(self.array, "shape", None)
        return f"StateMap({len(self.names)} states, array shape {shape})"

    def tree_flatten(self):
        """One leaf (the array); the names are static."""
        return (self.array,), self.names

    @classmethod
    def tree_unflatten(cls, names, leaves):
        """Rebuild from the one leaf (jax.tree_util protocol)."""
        return cls(leaves[0], names)


def states_dict(ys, names: tuple[str, ...]):
    """The states of ``ys`` (last axis: states in the order of ``names``) by name: a
    `StateMap` from `STATE_MAP_MIN` states, else a dict of columns."""
    if len(names) >= STATE_MAP_MIN:
        return StateMap(ys, names)
    return {name: ys[..., i] for i, name in enumerate(names)}
