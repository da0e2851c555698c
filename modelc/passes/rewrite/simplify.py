"""The simplify pass: equality saturation over all right-hand sides at once, then extraction.

All ``der`` and ``let`` expressions go into one e-graph (so identical
subterms are one e-class), the rules run within a `Budget`, and the cheapest
equivalent of every expression is extracted under the cost model. The
extracted forms replace the originals only when the emitted code (after
common-subexpression elimination) is cheaper; the `SimplifyReport` is kept on
the IR as ``Model.simplification``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache

import sympy
from egglog import EGraph, Vec, get_callable_args

from ...ir import Model, symbol
from .assumed import positive
from .bridge import Bridge
from .extract import choose, extract_all
from .hoist import Hoisted, hoist_lets
from .cost import emitted_cost, weighted_cost
from .report import EquationChange, SimplifyReport
from .schedule import Budget, egraph_size, saturate
from .terms import Term

__all__ = ["simplify_model", "simplify_exprs", "unsimplified", "report_of"]


def simplify_exprs(exprs: list[sympy.Expr], *, assume_positive=(), budget: Budget = Budget()):
    """Simplify expressions jointly.

    Args:
        exprs: SymPy expressions (they may share subterms).
        assume_positive: names of symbols taken to be positive, which
            enables the rules of `modelc.passes.rewrite.assumed` on them.
        budget: node, round and time limits.
    Returns:
        ``(simplified expressions, rounds, e-nodes, stop reason)``.
    """
    if not exprs:
        return [], 0, 0, None
    bridge = Bridge()
    terms = [bridge.to_term(e) for e in exprs]
    egraph = _egraph()
    egraph.push()
    try:
        root = egraph.let("roots", Vec[Term](*terms))
        if assume_positive:
            egraph.register(*(positive(Term.var(name)) for name in assume_positive))
        rounds, reason = saturate(egraph, budget)
        extracted = extract_all(egraph, root)
        size = egraph_size(egraph)
    finally:
        egraph.pop()
    return [bridge.to_sympy(t) for t in get_callable_args(extracted)], rounds, size, reason


@lru_cache(maxsize=256)
def _simplify_chunks(exprs: tuple, assume_positive: tuple, budget: Budget):
    """`simplify_exprs` on ``budget.chunk`` expressions at a time, sharing the time budget;
    chunks left when the time runs out stay as they are. Memoized: a model compiled again
    in the same process (another option, no module cache) is not searched again."""
    deadline = time.perf_counter() + budget.seconds
    n_chunks = -(-len(exprs) // budget.chunk)
    out, rounds, enodes, reasons = [], 0, 0, []
    for i in range(0, len(exprs), budget.chunk):
        chunk = exprs[i:i + budget.chunk]
        left = deadline - time.perf_counter()
        if left <= 0:
            out += list(chunk)
            reasons.append("time")
            continue
        share = replace(budget, seconds=left / (n_chunks - i // budget.chunk))
        done, r, n, reason = simplify_exprs(list(chunk), assume_positive=assume_positive, budget=share)
        out += done
        rounds, enodes = max(rounds, r), max(enodes, n)
        reasons.append(reason)
    reason = next((r for r in ("time", "nodes", "iterations") if r in reasons), None)
    return tuple(out), rounds, enodes, reason


@lru_cache(maxsize=1)
def _egraph() -> EGraph:
    """One e-graph per process with the rules declared (declaring them costs ~0.1 s);
    each simplification works between a ``push`` and a ``pop``."""
    egraph = EGraph()
    saturate(egraph, Budget(iterations=1))
    return egraph


def simplify_model(model: Model, *, assume_positive=(), budget: Budget = Budget()) -> Model:
    """The model with its ``der`` and ``let`` expressions simplified (see the module doc).

    Parameter-only subexpressions are hoisted into ``model.constants``
    (`modelc.passes.rewrite.hoist`) before the e-graph runs (unless
    ``assume_positive`` is given: a constant would hide a positive name from
    the rules) and again after it.

    Args:
        assume_positive: parameter or state names to treat as positive.
    Raises:
        ValueError: when ``assume_positive`` names no parameter or state.
    """
    start = time.perf_counter()
    assume_positive = tuple(assume_positive)
    _check_names(model, assume_positive)
    items = [(le.name, le.expr) for le in model.lets]
    items += [(f"der({d.state})", d.expr) for d in model.derivatives]
    written = [e for _, e in items]
    cost_before, ops_before = emitted_cost(written)
    hoister = Hoisted({symbol(p) for p in model.parameter_names}, taken=_names(model))
    before = written if assume_positive else _hoist(model, written, hoister)
    n_ops = sum(sympy.count_ops(e) for e in before)
    if n_ops > budget.max_input_ops:
        after, rounds, enodes, stopped = before, 0, 0, f"skipped: {n_ops} operations > {budget.max_input_ops}"
    else:
        after, rounds, enodes, stopped = _simplify_chunks(tuple(before), assume_positive, budget)
    if assume_positive:
        before = _hoist(model, before, hoister)
    after = choose(before, _hoist(model, list(after), hoister))
    cost_hoisted = (cost_before, ops_before) if before == written else emitted_cost(before)
    cost_after, ops_after = cost_hoisted if after == before else emitted_cost(after)
    for fallback, (cost, ops) in ((before, cost_hoisted), (written, (cost_before, ops_before))):
        if cost_after > cost:
            after, cost_after, ops_after = fallback, cost, ops
            stopped = "kept original: the simplified form costs more"
    constants = _used_constants(hoister.definitions, after)
    cost_once, ops_once = emitted_cost(list(constants.values())) if constants else (0.0, 0)
    changes = tuple(EquationChange(name, b, a, weighted_cost(b), weighted_cost(a))
                    for (name, _), b, a in zip(items, written, after))
    report = SimplifyReport(changes, cost_before, cost_after, ops_before, ops_after,
                            time.perf_counter() - start, rounds, enodes, stopped, assume_positive,
                            constants=tuple(constants.items()), cost_once=cost_once,
                            ops_once=ops_once)
    model = replace(model, constants=tuple((s.name, e) for s, e in constants.items()))
    return _with_exprs(model, after, report)


def _names(model: Model) -> set[str]:
    """Every user name of ``model`` (hoisted constants must not take one)."""
    groups = (model.parameters, model.states, model.lets, model.observes)
    return {item.name for group in groups for item in group}


def _hoist(model: Model, exprs: list, hoister: Hoisted) -> list:
    """``exprs`` (lets then ders) with parameter-only subexpressions named by ``hoister``."""
    n_lets = len(model.lets)
    lets = [(symbol(le.name), e) for le, e in zip(model.lets, exprs[:n_lets])]
    new_lets, new_ders, _ = hoist_lets(lets, exprs[n_lets:], (), hoisted=hoister)
    return new_lets + new_ders


def _used_constants(definitions: dict, exprs: list) -> dict:
    """The constants that ``exprs`` read, directly or through other constants, in order."""
    used = {s for e in exprs for s in e.free_symbols if s in definitions}
    for sym in reversed(list(definitions)):
        if sym in used:
            used |= {s for s in definitions[sym].free_symbols if s in definitions}
    return {s: e for s, e in definitions.items() if s in used}


def _with_exprs(model: Model, exprs: list, report: SimplifyReport | None) -> Model:
    """``model`` with its let then der expressions replaced by ``exprs``, and ``report`` kept
    (without a report, also without hoisted constants)."""
    n_lets = len(model.lets)
    return replace(
        model if report is not None else replace(model, constants=()),
        lets=tuple(replace(le, expr=e) for le, e in zip(model.lets, exprs[:n_lets])),
        derivatives=tuple(replace(d, expr=e) for d, e in zip(model.derivatives, exprs[n_lets:])),
        simplification=report,
    )


def _check_names(model: Model, names) -> None:
    known = set(model.parameter_names) | set(model.state_names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"assume_positive names {', '.join(map(repr, unknown))}, which "
            f"{'is not a parameter or state' if len(unknown) == 1 else 'are not parameters or states'}"
            f" of model {model.name!r}; its names: {', '.join(sorted(known)) or 'none'}"
        )


def unsimplified(model: Model) -> Model:
    """``model`` with the expressions it had before simplification (itself if never simplified)."""
    report = model.simplification
    if report is None:
        return model
    return _with_exprs(model, [change.before for change in report.equations], None)


def report_of(model: Model) -> SimplifyReport:
    """The model's `SimplifyReport`; for a model compiled without simplification, one that
    prices its equations as they are, with ``stopped="off"``."""
    if model.simplification is not None:
        return model.simplification
    exprs = [le.expr for le in model.lets] + [d.expr for d in model.derivatives]
    cost, ops = emitted_cost(exprs)
    why = "field model (spatial operators are not simplified)" if model.fields else "off"
    return SimplifyReport((), cost, cost, ops, ops, 0.0, stopped=why)
