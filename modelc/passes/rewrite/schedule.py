"""The one place the rule sets are composed and run, within node, iteration and time budgets."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from egglog import EGraph, back_off, run

from .algebra import algebra
from .assumed import assumed, positivity
from .division import division
from .explog import explog
from .fold import fold
from .functions import functions
from .powers import powers

__all__ = ["Budget", "RULES", "saturate", "egraph_size"]

RULES = algebra | division | powers | explog | functions | fold | assumed
# The positivity analysis first, then one round of the rules.
_ANALYSIS = run(positivity).saturate()


@dataclass(frozen=True)
class Budget:
    """Limits on one simplification.

    Attributes:
        nodes: stop once the e-graph holds this many e-nodes.
        iterations: at most this many rounds of all rules.
        seconds: stop starting new rounds after this much time (for a model
            simplified in chunks, the time for all chunks together).
        match_limit: when positive, a rule matching more often than this in
            one round is banned for a few rounds (egglog's back-off
            scheduler). Off by default: that scheduler costs ~40 ms a round
            even on tiny e-graphs, and the node budget, checked after every
            round, already bounds the search.
        max_input_ops: models with more operations than this are not simplified.
        chunk: models with more equations than this are simplified this many
            equations at a time (each chunk in its own e-graph, so a big model
            is explored as deeply as a small one).
    """

    nodes: int = 20_000
    iterations: int = 6
    seconds: float = 2.0
    match_limit: int = 0
    max_input_ops: int = 20_000
    chunk: int = 8


def egraph_size(egraph: EGraph) -> int:
    """The number of e-nodes in ``egraph``."""
    return sum(size for _, size in egraph.all_function_sizes())


def saturate(egraph: EGraph, budget: Budget) -> tuple[int, str | None]:
    """Run the rules until saturation or a budget runs out.

    Returns:
        ``(rounds run, reason)``; ``reason`` is None when the rules saturated,
        else ``"nodes"``, ``"time"`` or ``"iterations"`` (the e-graph then
        holds the best found so far).
    """
    start = time.perf_counter()
    step = _step(budget.match_limit)
    reason = "iterations"
    rounds = 0
    while rounds < budget.iterations:
        report = egraph.run(step)
        rounds += 1
        if not report.updated:
            reason = None
            break
        if egraph_size(egraph) >= budget.nodes:
            reason = "nodes"
            break
        if time.perf_counter() - start >= budget.seconds:
            reason = "time"
            break
    egraph.run(_analysis())
    return rounds, reason


@lru_cache(maxsize=1)
def _analysis():
    return _frozen(_ANALYSIS)


@lru_cache(maxsize=8)
def _step(match_limit: int):
    """One round: the analyses, then every rule once (a schedule built once per limit:
    egglog's Python layer spends most of a small run declaring a new schedule)."""
    if match_limit <= 0:
        return _frozen(_ANALYSIS + run(RULES))
    return _frozen(_ANALYSIS + run(RULES, scheduler=back_off(match_limit=match_limit)))


def _frozen(schedule):
    """``schedule`` with its declarations computed once (egglog recomputes them on every run)."""
    decls = schedule.__egg_decls__
    schedule.__egg_decls_thunk__ = lambda: decls
    return schedule
