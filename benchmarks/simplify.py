"""Simplification benchmark: SymPy's cse, SymPy's simplify + cse, cse + hoisting, and modelc.

``python benchmarks/simplify.py [--sbml-cases 400] [--rhs-sbml 10] [--batch 100000]
[--groups examples network polynomial sbml] [--no-rhs]``

Corpus: every example model, the SBML test-suite cases the importer reads,
a generated mass-action network of 200 species (as in network_scaling.py)
and polynomial chaotic systems with many shared factors. Variants: ``cse``
(the equations as written; what codegen emits with ``simplify=False``),
``sympy`` (``sympy.simplify`` of each expression, then cse), ``hoist`` (cse
after hoisting parameter-only subexpressions, `modelc.passes.rewrite.hoist`,
without the e-graph: what the e-graph itself adds is modelc minus this) and
``modelc`` (the simplify pass: hoisting, e-graph, hoisting). For each it
prints the total weighted cost (`modelc.passes.rewrite.cost`) and SymPy
``count_ops`` of the emitted right-hand sides per evaluation (raw trees,
then after CSE), the once-per-solve cost of the hoisted constants, the
simplification time, and the run time of the jitted, vmapped rhs on a batch
of states (examples, generated systems and a sample of SBML cases; the
constants are computed before the timed calls, as a solve does; variants
timed in interleaved rounds, medians of the per-round ratios to ``cse``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from modelc import runtime  # noqa: F401  (float64)
from modelc.api import compile_source
from modelc.cache import import_module_file
from modelc.codegen import generate_module
from modelc.passes.rewrite import simplify_model
from modelc.ir import symbol
from modelc.passes.rewrite.cost import emitted_cost, weighted_cost
from modelc.passes.rewrite.hoist import hoist_lets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network_scaling import network_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT.parent / "shared" / "sbml-test-suite" / "cases"
VARIANTS = ("cse", "sympy", "hoist", "modelc")


def chaotic_text(n: int) -> str:
    """A ring of ``n`` cells with cubic couplings written out term by term (shared factors)."""
    lines = [f"model poly{n} \"polynomial chaotic ring\"",
             "parameter s = 10, r = 28, b = 2.5, c = 0.5"]
    lines.append("state " + ", ".join(f"x{i} = {1 + 0.1 * i:.2f}" for i in range(n)))
    for i in range(n):
        a, p, q = f"x{i}", f"x{(i + 1) % n}", f"x{(i + 2) % n}"
        m = f"x{(i - 1) % n}"
        lines.append(
            f"der({a}) = s*{p}*{m} - s*{q}*{m} + r*{a}*{p}*{q} - r*{a}*{p}*{m} "
            f"- b*{a}*{a}*{a} + c*{a}*{a}*{p} + c*{a}*{a}*{q} - {a}")
    return "\n".join(lines) + "\n"


def lorenz96_expanded(n: int) -> str:
    """Lorenz-96 with its products expanded: der(x_i) = x_{i+1}x_{i-1} - x_{i-2}x_{i-1} - x_i + F."""
    lines = [f"model l96_{n} \"Lorenz-96, expanded\"", "parameter F = 8"]
    lines.append("state " + ", ".join(f"x{i} = {8 + (0.01 if i == 0 else 0)}" for i in range(n)))
    for i in range(n):
        lines.append(f"der(x{i}) = x{(i + 1) % n}*x{(i - 1) % n} - x{(i - 2) % n}*x{(i - 1) % n}"
                     f" - x{i} + F")
    return "\n".join(lines) + "\n"


ARRAY_MODEL = re.compile(r"^\s*(external\b|state\s+\w+\s*:\s*array\b)", re.M)


def corpus(sbml_cases: int):
    """``(group, name, model text)`` for every model of the corpus."""
    for path in sorted((ROOT / "examples").glob("*.model")):
        text = path.read_text(encoding="utf-8")
        if ARRAY_MODEL.search(text):
            continue  # external functions / array states: not simplified, rhs needs a bound external
        yield "examples", path.stem, text
    yield "network", "massaction200", network_text(200)
    for n in (8, 24):
        yield "polynomial", f"poly{n}", chaotic_text(n)
        yield "polynomial", f"lorenz96_{n}", lorenz96_expanded(n)
    if SUITE.is_dir():
        from modelc.errors import ModelError
        from modelc.io.sbml import translate_sbml
        from modelc.io.sbml_cases import sbml_file

        cases = sorted(p for p in SUITE.iterdir() if p.is_dir() and p.name.isdigit())
        for case in cases[:sbml_cases]:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    text = translate_sbml(sbml_file(case)).text
            except (ModelError, FileNotFoundError):
                continue
            yield "sbml", case.name, text


def _exprs(model):
    return [le.expr for le in model.lets] + [d.expr for d in model.derivatives]


def _with(model, exprs):
    n = len(model.lets)
    return replace(model, lets=tuple(replace(le, expr=e) for le, e in zip(model.lets, exprs[:n])),
                   derivatives=tuple(replace(d, expr=e)
                                     for d, e in zip(model.derivatives, exprs[n:])))


def hoisted_only(model):
    """``model`` with its parameter-only subexpressions hoisted and nothing else done."""
    params = {symbol(p) for p in model.parameter_names}
    lets = [(symbol(le.name), le.expr) for le in model.lets]
    taken = set(model.parameter_names) | set(model.state_names) | {le.name for le in model.lets}
    new_lets, new_ders, hoisted = hoist_lets(lets, [d.expr for d in model.derivatives], params,
                                             taken=taken | set(model.observe_names))
    hoisted_model = _with(model, new_lets + new_ders)
    return replace(hoisted_model, constants=tuple((s.name, e) for s, e in hoisted.definitions.items()))


def variants(model):
    """Each variant's model and the seconds it took to produce it."""
    exprs = _exprs(model)
    start = time.perf_counter()
    sym = _with(model, [sympy.simplify(e) for e in exprs])
    t_sym = time.perf_counter() - start
    start = time.perf_counter()
    hoisted = hoisted_only(model)
    t_hoist = time.perf_counter() - start
    start = time.perf_counter()
    simplified = simplify_model(model)
    t_modelc = time.perf_counter() - start
    return {"cse": (model, 0.0), "sympy": (sym, t_sym), "hoist": (hoisted, t_hoist),
            "modelc": (simplified, t_modelc)}, simplified.simplification


def rhs_function(model, batch: int, folder: Path, tag: str):
    """The jitted, vmapped generated rhs and a batch of random states (None without states)."""
    if not model.states:
        return None
    path = folder / f"m_{tag}.py"
    path.write_text(generate_module(model), encoding="utf-8")
    module = import_module_file(path, f"bench_{tag}")
    p = module.parameter_vector({})
    y0 = np.asarray(module.initial_state(p, {}))
    rng = np.random.default_rng(0)
    ys = jnp.asarray(np.abs(y0) * rng.uniform(0.5, 1.5, (batch, y0.size)) + 0.1)
    # The parameters are an argument of the jitted function, as in a solve (closed over, XLA
    # would fold every parameter-only operation of every variant); the constants are
    # computed once per solve, as `CompiledModel.solve` does, outside the timed calls.
    args = module.with_constants(p)
    rhs = jax.jit(jax.vmap(module.rhs, in_axes=(None, 0, None)))
    f = lambda states: rhs(0.5, states, args)  # noqa: E731
    jax.block_until_ready(f(ys))
    return f, ys


def rhs_seconds(functions, repeats: int = 15, sample: float = 0.02) -> tuple[list[float], list[float]]:
    """Seconds per call of each ``(f, ys)``, timed interleaved (one sample of each per round,
    the order alternating between rounds; a sample repeats the call until it lasts about
    ``sample`` seconds), and the median per-round ratio of each to the first."""
    calls = [max(1, round(sample / max(_call_seconds(f, ys), 1e-6))) for f, ys in functions]
    times = [[] for _ in functions]
    for r in range(repeats):
        order = range(len(functions)) if r % 2 == 0 else reversed(range(len(functions)))
        for i in order:
            f, ys = functions[i]
            start = time.perf_counter()
            for _ in range(calls[i]):
                jax.block_until_ready(f(ys))
            times[i].append((time.perf_counter() - start) / calls[i])
    ratios = [statistics.median(a / b for a, b in zip(t, times[0])) for t in times]
    return [statistics.median(t) for t in times], ratios


def _call_seconds(f, ys) -> float:
    start = time.perf_counter()
    jax.block_until_ready(f(ys))
    return time.perf_counter() - start


def once_cost(model) -> tuple[float, int]:
    """Weighted cost and count_ops of a model's hoisted constants (after CSE; once per solve)."""
    exprs = [e for _, e in model.constants]
    return emitted_cost(exprs) if exprs else (0.0, 0)


def main() -> None:
    """Run the corpus and print per-model rows, group totals and the overall comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sbml-cases", type=int, default=10_000, help="at most this many SBML cases")
    parser.add_argument("--rhs-sbml", type=int, default=10, help="time the rhs of this many SBML cases")
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--groups", nargs="+", default=["examples", "network", "polynomial", "sbml"],
                        help="which parts of the corpus to run")
    parser.add_argument("--no-rhs", action="store_true", help="skip timing the generated rhs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="modelc_bench_"))
    totals: dict = {}
    rhs_totals: dict = {}
    n_sbml_timed = 0
    print(f"{'model':<22} {'raw':>15}" + "".join(f" {v:>15}" for v in VARIANTS)
          + f" {'once h/m':>11} {'t sympy':>8} {'t modelc':>8}   rhs ms (" + " / ".join(VARIANTS)
          + "); modelc/cse")
    for group, name, text in corpus(args.sbml_cases):
        if group not in args.groups:
            continue
        model, _ = compile_source(text, name, simplify=False)
        models, report = variants(model)
        written = _exprs(model)
        row = {"raw": (sum(weighted_cost(e) for e in written), sum(sympy.count_ops(e) for e in written))}
        for v in VARIANTS:
            row[v] = emitted_cost(_exprs(models[v][0]))
        for v in ("hoist", "modelc"):
            row[f"once_{v}"] = once_cost(models[v][0])
        for key, value in row.items():
            t = totals.setdefault(group, {}).setdefault(key, [0.0, 0])
            t[0] += value[0]
            t[1] += value[1]
        for v in ("sympy", "hoist", "modelc"):
            totals[group].setdefault(f"t_{v}", [0.0, 0])[0] += models[v][1]
        timing = ""
        if not args.no_rhs and (group != "sbml" or n_sbml_timed < args.rhs_sbml):
            n_sbml_timed += group == "sbml"
            functions = [rhs_function(models[v][0], args.batch, folder, f"{name}_{v}") for v in VARIANTS]
            if functions[0] is not None:
                seconds, ratios = rhs_seconds(functions)
                ms = [1e3 * t for t in seconds]
                for v, value, ratio in zip(VARIANTS, ms, ratios):
                    g = rhs_totals.setdefault(group, {})
                    g[v] = g.get(v, 0.0) + value
                    g.setdefault(f"ratios_{v}", []).append(ratio)
                timing = " / ".join(f"{m:.2f}" for m in ms) + f"; {ratios[-1]:.2f}"
        cells = "".join(f" {row[k][0]:9.0f}/{row[k][1]:<5d}" for k in ("raw", *VARIANTS))
        once = f" {row['once_hoist'][0]:5.0f}/{row['once_modelc'][0]:<5.0f}"
        print(f"{group[:4]}:{name:<17}{cells}{once} {models['sympy'][1]:8.2f} {models['modelc'][1]:8.2f}"
              f"   {timing}{'' if report.stopped in (None,) else '  [' + report.stopped + ']'}",
              flush=True)
    _summary(totals, rhs_totals)


def _summary(totals, rhs_totals) -> None:
    keys = ("raw", *VARIANTS, "once_hoist", "once_modelc")
    print("\ntotals (weighted cost / count_ops after CSE, per evaluation; once_*: the hoisted "
          "constants, once per solve; simplification seconds; rhs ms and median modelc/cse ratio):")
    grand = {k: [0.0, 0] for k in keys}
    for group, t in totals.items():
        for k in grand:
            grand[k][0] += t[k][0]
            grand[k][1] += t[k][1]
        rhs = rhs_totals.get(group, {})
        worst = {v: max(rhs[f"ratios_{v}"]) for v in VARIANTS} if rhs else {}
        print(f"  {group:<11}" + "".join(f" {k}: {t[k][0]:.0f}/{t[k][1]}" for k in keys)
              + f"  t_sympy {t['t_sympy'][0]:.1f} s, t_hoist {t['t_hoist'][0]:.2f} s,"
              f" t_modelc {t['t_modelc'][0]:.1f} s"
              + ("  rhs " + " / ".join(f"{rhs.get(v, 0):.1f}" for v in VARIANTS)
                 + "  worst ratio to cse " + " / ".join(f"{worst[v]:.2f}" for v in VARIANTS)
                 if rhs else ""))
    print("  all        " + "".join(f" {k}: {grand[k][0]:.0f}/{grand[k][1]}" for k in grand))
    cse = grand["cse"]
    for v in ("sympy", "hoist", "modelc"):
        print(f"{v} vs SymPy cse: weighted cost per evaluation {100 * (1 - grand[v][0] / cse[0]):.1f}% "
              f"lower, operations {100 * (1 - grand[v][1] / cse[1]):.1f}% lower")
    hoist, mc = grand["hoist"], grand["modelc"]
    print(f"modelc vs cse + hoisting (what the e-graph adds): weighted cost "
          f"{100 * (1 - mc[0] / hoist[0]):.1f}% lower, operations {100 * (1 - mc[1] / hoist[1]):.1f}% lower")


if __name__ == "__main__":
    main()
