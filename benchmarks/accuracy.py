"""Floating-point accuracy of the emitted equations, before and after the safe-forms pass.

Run with ``python benchmarks/accuracy.py [--samples 200] [--sbml 334]``.

For every ``let`` and ``der`` expression of the examples (ODE models), of a
Hodgkin–Huxley model and of the SBML base suite's models (the rate laws as
translated), the expression as simplified ("before") and after
`modelc.passes.safe_forms` ("after") is evaluated with ``jax.numpy`` in float64
and in float32 at sampled inputs and compared with mpmath at 40 digits. Inputs:
parameters at their defaults; states at their initial values times
10^U(-1, 1), and, for every rewrite to ``exprel(g)``, points where ``g`` is
within 1e-12..1e-2 of its removable singularity (solved for one state). The table
prints, per group, the number of expressions, how many the pass rewrote, and
for those the largest relative error over all of them and all inputs
where the exact value is finite and nonzero (a NaN or inf result counts as error
1), and the number of expressions rewritten.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from functools import reduce
from pathlib import Path

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import sympy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modelc import api, runtime  # noqa: E402
from modelc.frontend.parser import parse_source  # noqa: E402
from modelc.passes.safe_forms import safe_model  # noqa: E402
from modelc.special import exprel, exprel_derivative  # noqa: E402

HODGKIN_HUXLEY = """
model hh "Hodgkin-Huxley"
parameter gNa = 120, gK = 36, gL = 0.3, ENa = 50, EK = -77, EL = -54.4, Iapp = 10
state V = -65, m = 0.05, h = 0.6, n = 0.32
let an = 0.01*(V + 55)/(1 - exp(-(V + 55)/10))
let bn = 0.125*exp(-(V + 65)/80)
let am = 0.1*(V + 40)/(1 - exp(-(V + 40)/10))
let bm = 4*exp(-(V + 65)/18)
let ah = 0.07*exp(-(V + 65)/20)
let bh = 1/(1 + exp(-(V + 35)/10))
der(V) = Iapp - gNa*m^3*h*(V - ENa) - gK*n^4*(V - EK) - gL*(V - EL)
der(m) = am*(1 - m) - bm*m
der(h) = ah*(1 - h) - bh*h
der(n) = an*(1 - n) - bn*n
"""

_JAX = {
    "exp": jnp.exp, "log": jnp.log, "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan,
    "sinh": jnp.sinh, "cosh": jnp.cosh, "tanh": jnp.tanh, "Abs": jnp.abs,
    "asin": jnp.arcsin, "acos": jnp.arccos, "atan": jnp.arctan, "sign": jnp.sign,
    "expm1": jnp.expm1, "log1p": jnp.log1p, "hypot": jnp.hypot, "exprel": runtime.exprel,
    "floor": jnp.floor, "ceiling": jnp.ceil, "Min": jnp.minimum, "Max": jnp.maximum, "sqrt": jnp.sqrt,
}
_MP = {
    "exp": mpmath.exp, "log": mpmath.log, "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan,
    "sinh": mpmath.sinh, "cosh": mpmath.cosh, "tanh": mpmath.tanh, "Abs": abs,
    "asin": mpmath.asin, "acos": mpmath.acos, "atan": mpmath.atan, "sign": mpmath.sign,
    "expm1": mpmath.expm1, "log1p": mpmath.log1p, "hypot": mpmath.hypot,
    "exprel": lambda x: mpmath.expm1(x) / x if x != 0 else mpmath.mpf(1),
    "floor": mpmath.floor, "ceiling": mpmath.ceil, "Min": min, "Max": max, "sqrt": mpmath.sqrt,
}


class Unsupported(Exception):
    """An expression node this evaluator does not model (it is skipped)."""


def evaluate(expr, env: dict, table: dict, number):
    """``expr`` evaluated bottom-up with the functions of ``table`` (jax.numpy or mpmath);
    ``number`` turns a SymPy number into the evaluator's constant."""
    memo: dict = {}

    def value(e):
        if e in memo:
            return memo[e]
        if e.is_Symbol:
            out = env[e.name]
        elif e.is_Number or e in (sympy.pi, sympy.E):
            out = number(e)
        elif isinstance(e, sympy.Add):
            out = reduce(lambda a, b: a + b, map(value, e.args))
        elif isinstance(e, sympy.Mul):
            out = reduce(lambda a, b: a * b, map(value, e.args))
        elif isinstance(e, sympy.Pow):
            out = _power(value(e.base), e.exp, value, table)
        elif isinstance(e, exprel_derivative):
            raise Unsupported("exprel_derivative")
        elif type(e).__name__ in table:
            out = table[type(e).__name__](*map(value, e.args))
        else:
            raise Unsupported(type(e).__name__)
        memo[e] = out
        return out

    return value(expr)


def _power(base, exponent, value, table):
    if exponent.is_Integer:
        n = int(exponent)
        return base ** n if n >= 0 else 1 / base ** (-n)
    if exponent == sympy.S.Half:
        return table["sqrt"](base)
    return base ** value(exponent)


def relative_errors(before, after, points, dtype) -> tuple[float, float]:
    """Largest relative error of ``before`` and ``after`` over ``points`` against mpmath."""
    worst = [0.0, 0.0]
    for env in points:
        with mpmath.workdps(40):
            try:
                exact = evaluate(after, {k: mpmath.mpf(v) for k, v in env.items()}, _MP,
                                 lambda n: mpmath.mpf(sympy.Float(n, 45)))
            except (ZeroDivisionError, ValueError, TypeError):
                continue
            if not mpmath.isfinite(exact) or exact == 0 or isinstance(exact, mpmath.mpc):
                continue
        jenv = {k: jnp.asarray(v, dtype) for k, v in env.items()}
        for i, expr in enumerate((before, after)):
            got = float(evaluate(expr, jenv, _JAX, lambda n: jnp.asarray(float(n), dtype)))
            err = abs(got - float(exact)) / abs(float(exact)) if math.isfinite(got) else 1.0
            worst[i] = max(worst[i], min(err, 1.0))
    return worst[0], worst[1]


def sample_points(model, expr, safe, rng, n) -> list[dict]:
    """Inputs: parameters at defaults, states around their initial values, and points
    near every removable singularity that the safe form names."""
    defaults = {p.name: _number(p.default) for p in model.parameters}
    defaults.update({name: _number(e, defaults) for name, e in model.constants})
    states = {s.name: _number(s.initial, defaults) for s in model.states if not s.array}
    points = []
    for _ in range(n):
        env = dict(defaults)
        for name, v0 in states.items():
            scale = v0 if v0 not in (0.0, None) else 1.0
            env[name] = scale * 10 ** rng.uniform(-1, 1) * (1 if rng.random() < 0.8 else -1)
        points.append(env)
    for g in [node.args[0] for node in sympy.preorder_traversal(safe) if isinstance(node, exprel)]:
        points += _near_zero_of(g, states, defaults, rng)
    return [p for p in points if all(s.name in p for s in expr.free_symbols)]


def _near_zero_of(g, states, defaults, rng) -> list[dict]:
    symbols = {s.name: s for s in g.free_symbols}
    for name in states:
        if name not in symbols:
            continue
        known = {s: defaults[k] for k, s in symbols.items() if defaults.get(k) is not None}
        roots = sympy.solve(g.subs(known), symbols[name])
        real = [float(r) for r in roots if r.is_real]
        if real:
            at = [real[0] + (real[0] or 1.0) * d * s for d in (0, 1e-12, 1e-9, 1e-6, 1e-4, 1e-2)
                  for s in (1, -1)]
            return [{**defaults, **states, name: v} for v in at]
    return []


def _number(expr, env=None):
    try:
        known = {sympy.Symbol(k): v for k, v in (env or {}).items() if v is not None}
        return float(expr.subs(known))
    except (TypeError, AttributeError, ValueError):
        return None


def before_and_after(text: str, file: str):
    """The model after simplification ("before") and after the safe-forms pass."""
    model = parse_source(text, file)
    for run_pass in api.PASSES:
        if run_pass is api.numerically_safe:
            break
        model = run_pass(model)
    return model, safe_model(model)


def model_sources(sbml_limit: int):
    """``(group, name, text)`` of the examples, Hodgkin–Huxley and the SBML cases."""
    yield "Hodgkin-Huxley", "hh", HODGKIN_HUXLEY
    for path in sorted((ROOT / "examples").glob("*.model")):
        text = path.read_text()
        if "domain" not in text and "external" not in text:
            yield "examples", path.name, text
    cases = ROOT.parent / "shared" / "sbml-test-suite" / "cases"
    if not cases.is_dir() or not sbml_limit:
        return
    from modelc.io.sbml import sbml_to_model_text

    for case in sorted(cases.iterdir())[:sbml_limit]:
        xml = sorted(case.glob("*-sbml-l3v1.xml")) or sorted(case.glob("*-sbml-*.xml"))
        if not xml:
            continue
        try:
            text, _ = sbml_to_model_text(xml[-1])
        except Exception:  # a case the importer refuses is not part of this measurement
            continue
        yield "SBML base suite", case.name, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--sbml", type=int, default=334, help="how many SBML cases (0: none)")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    table: dict = {}
    for group, name, text in model_sources(args.sbml):
        try:
            before_model, after_model = before_and_after(text, name)
        except Exception as exc:  # noqa: BLE001  (report and go on: one model never stops the run)
            print(f"  skipped {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        pairs = [(b.expr, a.expr) for b, a in zip(before_model.lets, after_model.lets)]
        pairs += [(b.expr, a.expr) for b, a in zip(before_model.derivatives, after_model.derivatives)]
        row = table.setdefault(group, {"exprs": 0, "rewritten": 0, "float64": [0, 0], "float32": [0, 0]})
        for before, after in pairs:
            row["exprs"] += 1
            if before == after:
                continue
            points = sample_points(before_model, before, after, rng, args.samples // 10)
            try:
                for dtype in ("float64", "float32"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        errs = relative_errors(before, after, points, dtype)
                    row[dtype] = [max(row[dtype][0], errs[0]), max(row[dtype][1], errs[1])]
            except Unsupported:
                continue
            row["rewritten"] += 1
    print(f"{'group':<18}{'expressions':>12}{'rewritten':>10}"
          f"{'f64 before':>13}{'f64 after':>11}{'f32 before':>13}{'f32 after':>11}")
    for group, row in table.items():
        print(f"{group:<18}{row['exprs']:>12}{row['rewritten']:>10}"
              f"{row['float64'][0]:>13.2e}{row['float64'][1]:>11.2e}"
              f"{row['float32'][0]:>13.2e}{row['float32'][1]:>11.2e}")


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)
    main()
