"""E-graph simplification (egglog): rule sets, cost model, the bridge to SymPy, and the pass.

Modules: `terms` (the expression sort), `bridge` (SymPy <-> terms), `cost`
(the cost model), one module per rule theme (`algebra`, `division`,
`powers`, `explog`, `functions`, `fold`, `assumed`), `schedule` (how the
rules run, and the budgets), `simplify` (the pass) and `report`.
"""

from .report import EquationChange, SimplifyReport
from .schedule import Budget
from .simplify import report_of, simplify_exprs, simplify_model, unsimplified

__all__ = [
    "Budget", "EquationChange", "SimplifyReport", "report_of", "simplify_exprs", "simplify_model",
    "unsimplified",
]
