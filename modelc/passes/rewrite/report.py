"""What one simplification did: each equation before and after, costs, budgets, time."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = ["EquationChange", "SimplifyReport"]


@dataclass(frozen=True)
class EquationChange:
    """One simplified equation: ``name`` is ``der(x)`` or a let's name."""

    name: str
    before: sympy.Expr
    after: sympy.Expr
    cost_before: float
    cost_after: float


@dataclass(frozen=True)
class SimplifyReport:
    """The record of a simplification (kept on the IR as ``Model.simplification``).

    Costs are weighted operation counts (`modelc.passes.rewrite.cost`) and
    ``ops`` SymPy ``count_ops`` of the code emitted after common-subexpression
    elimination. ``stopped`` is None when the rules saturated, else why the
    search stopped early (``"nodes"``, ``"time"``, ``"iterations"``: the best
    found so far is used), or why nothing was done (``"skipped: ..."``,
    ``"kept original: ..."``). ``cost_after``/``ops_after`` are per evaluation
    of the right-hand side; ``constants`` are the hoisted parameter-only
    subexpressions ``(symbol, expr)``, computed once per solve at a cost of
    ``cost_once``/``ops_once`` (after CSE).
    """

    equations: tuple[EquationChange, ...]
    cost_before: float
    cost_after: float
    ops_before: int
    ops_after: int
    seconds: float
    rounds: int = 0
    enodes: int = 0
    stopped: str | None = None
    assume_positive: tuple[str, ...] = ()
    constants: tuple = ()
    cost_once: float = 0.0
    ops_once: int = 0

    def as_dict(self) -> dict:
        """The totals as a plain dict (what `CompiledModel.cost_report` returns)."""
        return {
            "cost_before": self.cost_before,
            "cost_after": self.cost_after,
            "ops_before": self.ops_before,
            "ops_after": self.ops_after,
            "seconds": self.seconds,
            "rounds": self.rounds,
            "enodes": self.enodes,
            "stopped": self.stopped,
            "assume_positive": list(self.assume_positive),
            "constants": len(self.constants),
            "cost_once": self.cost_once,
            "ops_once": self.ops_once,
        }

    @property
    def warning(self) -> str | None:
        """A sentence for the user when a budget cut the search short, else None."""
        if self.stopped in ("nodes", "time", "iterations"):
            return (f"simplification stopped at its {self.stopped} budget after {self.rounds} "
                    f"rounds ({self.enodes} e-nodes); the best form found so far is used")
        return None
