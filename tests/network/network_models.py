"""Random reaction networks as model text, for the structured-code tests.

Every kind of rate the structured path must handle appears: mass action with
integer and decimal coefficients, reversible reactions, a compartment factor,
Michaelis–Menten, Hill with a parameter exponent, a rate that reads time, a
source ``0 -> A`` and a let used in a rate.
"""

from __future__ import annotations

import numpy as np

KINDS = ("mass", "bimolecular", "reversible", "decimal", "compartment", "mm", "hill", "timed",
         "source", "let")


def network_text(n: int, m: int, seed: int = 0, kinds=KINDS) -> str:
    """A model with ``n`` species and ``m`` reactions cycling through ``kinds``."""
    rng = np.random.default_rng(seed)
    lines = [f'model rnd{n}x{m} "random network"', "parameter vol = 0.7, hexp = 2.5, kt = 0.3"]
    lines += [f"species S{i} = {float(v)!r}" for i, v in enumerate(rng.uniform(0.1, 2.0, n))]
    lines.append("let boost = 1 + 0.5*S0")
    for j in range(m):
        a, b, c = (f"S{int(i)}" for i in rng.choice(n, size=3, replace=False))
        k1, k2, k3 = (float(x) for x in 10 ** rng.uniform(-1, 0.5, 3))
        lines.append(f"parameter k{j} = {k1!r}, q{j} = {k2!r}, K{j} = {k3!r}")
        kind = kinds[j % len(kinds)]
        lines.append({
            "mass": f"reaction {a} -> {b}, k{j}",
            "bimolecular": f"reaction {a} + {b} -> {c}, k{j}",
            "reversible": f"reaction {a} <-> 2{b}, k{j}, q{j}",
            "decimal": f"reaction 0.5 {a} + 1.5 {b} -> {c}, k{j}",
            "compartment": f"reaction {a} + {b} -> {c}, rate = vol*k{j}*{a}*{b}",
            "mm": f"reaction {a} -> {b}, rate = k{j}*{a}/(K{j} + {a})",
            "hill": f"reaction {a} -> {b} + {c}, rate = k{j}*{a}^hexp/(K{j}^hexp + {a}^hexp)",
            "timed": f"reaction {a} -> {b}, rate = k{j}*{a}*(1 + kt*sin(t))",
            "source": f"reaction 0 -> {a}, k{j}",
            "let": f"reaction {a} -> {b}, rate = k{j}*boost*{a}",
        }[kind])
    return "\n".join(lines) + "\n"


def mass_action_text(n: int, seed: int = 0) -> str:
    """Issue 16's recipe: ``n`` species, ``2n`` reactions A -> B, A + B -> C, A <-> B, A -> B + C."""
    rng = np.random.default_rng(seed)
    lines = [f'model net{n} "mass-action network"']
    lines += [f"species S{i} = {float(v)!r}" for i, v in enumerate(rng.uniform(0.1, 2.0, n))]
    for j in range(2 * n):
        a, b, c = (f"S{int(i)}" for i in rng.choice(n, size=3, replace=False))
        k, kr = (float(x) for x in 10 ** rng.uniform(-2, 1, 2))
        lines.append(f"parameter k{j} = {k!r}, kr{j} = {kr!r}")
        lines.append([f"reaction {a} -> {b}, k{j}", f"reaction {a} + {b} -> {c}, k{j}",
                      f"reaction {a} <-> {b}, k{j}, kr{j}", f"reaction {a} -> {b} + {c}, k{j}"][j % 4])
    return "\n".join(lines) + "\n"
