"""Simplification benchmark: SymPy's cse, SymPy's simplify + cse, and modelc's e-graph pass.

``python benchmarks/simplify.py [--sbml-cases 400] [--rhs-sbml 10] [--batch 100000]
[--groups examples network polynomial sbml] [--no-rhs]``

Corpus: every example model, the SBML test-suite cases the importer reads,
a generated mass-action network of 200 species (as in network_scaling.py)
and polynomial chaotic systems with many shared factors. For each variant it
prints the total weighted cost (`modelc.passes.rewrite.cost`) and SymPy
``count_ops`` of the emitted right-hand sides (raw trees, then after CSE),
the simplification time, and the run time of the jitted, vmapped rhs on a
batch of states (examples, generated systems and a sample of SBML cases;
medians of interleaved calls).
"""

from __future__ import annotations

import argparse
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
from modelc.codegen.module import generate_module
from modelc.passes.rewrite import simplify_model
from modelc.passes.rewrite.cost import emitted_cost, weighted_cost

sys.path.insert(0, str(Path(__file__).resolve().parent))
from network_scaling import network_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT.parent / "shared" / "sbml-test-suite" / "cases"
VARIANTS = ("cse", "sympy", "modelc")


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


def corpus(sbml_cases: int):
    """``(group, name, model text)`` for every model of the corpus."""
    for path in sorted((ROOT / "examples").glob("*.model")):
        yield "examples", path.stem, path.read_text(encoding="utf-8")
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


def variants(model):
    """Each variant's expressions and the seconds it took to produce them."""
    exprs = _exprs(model)
    start = time.perf_counter()
    sym = [sympy.simplify(e) for e in exprs]
    t_sym = time.perf_counter() - start
    start = time.perf_counter()
    simplified = simplify_model(model)
    t_modelc = time.perf_counter() - start
    return {"cse": (exprs, 0.0), "sympy": (sym, t_sym),
            "modelc": (_exprs(simplified), t_modelc)}, simplified.simplification


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
    f = jax.jit(jax.vmap(lambda y: module.rhs(0.5, y, p)))
    jax.block_until_ready(f(ys))
    return f, ys


def rhs_seconds(functions, repeats: int = 9) -> list[float]:
    """Median seconds of each ``(f, ys)``, timed interleaved (one call of each per round)."""
    times = [[] for _ in functions]
    for _ in range(repeats):
        for i, (f, ys) in enumerate(functions):
            start = time.perf_counter()
            jax.block_until_ready(f(ys))
            times[i].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


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
    print(f"{'model':<22} {'raw cost/ops':>15} {'cse':>15} {'sympy+cse':>15} {'modelc':>15}"
          f" {'t sympy':>8} {'t modelc':>8}   rhs ms (cse / sympy / modelc)")
    for group, name, text in corpus(args.sbml_cases):
        if group not in args.groups:
            continue
        model, _ = compile_source(text, name, simplify=False)
        exprs, report = variants(model)
        raw = (sum(weighted_cost(e) for e in exprs["cse"][0]),
               sum(sympy.count_ops(e) for e in exprs["cse"][0]))
        row = {"raw": raw}
        for v in VARIANTS:
            row[v] = emitted_cost(exprs[v][0])
        for key, value in row.items():
            t = totals.setdefault(group, {}).setdefault(key, [0.0, 0])
            t[0] += value[0]
            t[1] += value[1]
        for v in ("sympy", "modelc"):
            totals[group].setdefault(f"t_{v}", [0.0, 0])[0] += exprs[v][1]
        timing = ""
        if not args.no_rhs and (group != "sbml" or n_sbml_timed < args.rhs_sbml):
            n_sbml_timed += group == "sbml"
            functions = [rhs_function(_with(model, exprs[v][0]), args.batch, folder, f"{name}_{v}")
                         for v in VARIANTS]
            ms = ([1e3 * t for t in rhs_seconds(functions)] if functions[0] is not None
                  else [0.0] * len(VARIANTS))
            for v, value in zip(VARIANTS, ms):
                rhs_totals.setdefault(group, {}).setdefault(v, 0.0)
                rhs_totals[group][v] += value
            timing = " / ".join(f"{m:.2f}" for m in ms)
        cells = "".join(f" {row[k][0]:9.0f}/{row[k][1]:<5d}" for k in ("raw", *VARIANTS))
        print(f"{group[:4]}:{name:<17}{cells} {exprs['sympy'][1]:8.2f} {exprs['modelc'][1]:8.2f}"
              f"   {timing}{'' if report.stopped in (None,) else '  [' + report.stopped + ']'}",
              flush=True)
    _summary(totals, rhs_totals)


def _summary(totals, rhs_totals) -> None:
    print("\ntotals (weighted cost / count_ops after CSE; simplification seconds; rhs ms):")
    grand = {k: [0.0, 0] for k in ("raw", *VARIANTS)}
    for group, t in totals.items():
        for k in grand:
            grand[k][0] += t[k][0]
            grand[k][1] += t[k][1]
        rhs = rhs_totals.get(group, {})
        print(f"  {group:<11}" + "".join(f" {k}: {t[k][0]:.0f}/{t[k][1]}" for k in ("raw", *VARIANTS))
              + f"  t_sympy {t['t_sympy'][0]:.1f} s, t_modelc {t['t_modelc'][0]:.1f} s"
              + ("  rhs " + " / ".join(f"{rhs.get(v, 0):.1f}" for v in VARIANTS) if rhs else ""))
    cse, mc = grand["cse"], grand["modelc"]
    print("  all        " + "".join(f" {k}: {grand[k][0]:.0f}/{grand[k][1]}" for k in grand))
    print(f"\nmodelc vs SymPy cse: weighted cost {100 * (1 - mc[0] / cse[0]):.1f}% lower, "
          f"operations {100 * (1 - mc[1] / cse[1]):.1f}% lower")


if __name__ == "__main__":
    main()
