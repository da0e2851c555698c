"""Hostile and careless inputs with their oracles (issue 20): model text, API arguments
and command-line options, each case drawn from a seed and judged on its outcome.

Outcomes (`Outcome.kind`):
    ok        a result equal to an independent evaluation (or none was expected)
    refused   a clean ModelError/SolveError, or exit code 1 with one ``error:`` line
    raw       another exception type escaped from the API (TypeError, KeyError, ...)
    traceback the command line printed a traceback or an "internal error"
    wrong     a result reported as success that disagrees with the independent evaluation
    hang      (set by the runner) the case ran past its time limit

The independent evaluations: constant expressions are evaluated with mpmath at 60 digits
from the same random tree that printed the model text; the decay model
``du/dt = -k u`` has the exact solution ``u0 exp(-k (t - t0))``.
Used by `benchmarks/hostile_probe.py` (thousands of cases, a watchdog process) and by
`tests/fuzz/test_hostile_probe.py` (a few hundred, in the default suite). Nothing here
imports modelc at module level, so the runner can time another checkout.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mpmath
import numpy as np

__all__ = ["CLASSES", "Outcome", "run_case", "DECAY"]

mpmath.mp.dps = 60

DECAY = """model decay
parameter k = 0.7
state u = 2.0
der(u) = -k*u
simulate t = [0, 2], points = 5
"""


@dataclass
class Outcome:
    """What one case did: ``kind`` (see the module doc) and a short ``detail``."""

    kind: str
    detail: str = ""


# ---- model text: constants from random trees ------------------------------------------

_NUMBERS = ["0", "1", "2", "3", "0.5", "1e-3", "3.0E+7", "1e308", "1e999", "1e-999", "2.5e-320",
            "18446744073709551617", "9" * 40, "1e19", "7", "10", "1e-8", "4.25"]
_UNARY = {"sin": mpmath.sin, "cos": mpmath.cos, "exp": mpmath.exp, "log": mpmath.log,
          "sqrt": mpmath.sqrt, "abs": abs, "tanh": mpmath.tanh, "log10": mpmath.log10,
          "floor": mpmath.floor}
_BINARY = ["+", "-", "*", "/", "^"]


def _expr(rng: random.Random, depth: int, decimal: bool = False) -> tuple[str, object]:
    """``(text, mpmath value)`` of a random constant expression (value None: undefined);
    literals are the doubles they round to, or with ``decimal`` the decimals they spell."""
    text, value, _ = _tree(rng, depth, decimal)
    return text, value


def _tree(rng: random.Random, depth: int, decimal: bool) -> tuple[str, object, str | None]:
    """``(text, value, kind)``: ``kind`` is "int" for a value that the compiler keeps as an
    exact integer, "double" for a decimal literal (an exact double), else None (rounded)."""
    roll = rng.random()
    if depth <= 0 or roll < 0.3:
        pick = rng.random()
        if pick < 0.08:
            return "pi", mpmath.pi, None
        if pick < 0.12:
            return "I", mpmath.mpc(0, 1), None
        text = rng.choice(_NUMBERS)   # integers are exact
        if text.isdigit():
            return text, mpmath.mpf(int(text)), "int"
        return text, mpmath.mpf(text) if decimal else mpmath.mpf(float(text)), None if decimal else "double"
    if roll < 0.55:
        name = rng.choice(list(_UNARY))
        inner, value, kind = _tree(rng, depth - 1, decimal)
        fn = _UNARY[name]
        out = ("int" if fn is mpmath.floor else kind) if fn in (mpmath.floor, abs) and kind else None
        return f"{name}({inner})", _apply(fn, value, kind), out
    if roll < 0.62:
        inner, value, kind = _tree(rng, depth - 1, decimal)
        # parenthesised: `-(a) ^ b` would read as -(a^b)
        return f"(-({inner}))", value if value is None or value is UNKNOWN else -value, kind
    op = rng.choice(_BINARY)
    (a, va, ka), (b, vb, kb) = _tree(rng, depth - 1, decimal), _tree(rng, depth - 1, decimal)
    kind = "int" if ka == kb == "int" and op in "+-*" else None
    return f"({a} {op} {b})", _binary(op, va, vb), kind


UNKNOWN = "unknown"   # the oracle itself could not evaluate (then only the outcome's kind is judged)


def _apply(fn, value, kind=None):
    if value is None or value is UNKNOWN:
        return value
    try:
        if fn is mpmath.floor and isinstance(value, mpmath.mpc):
            return None
        if fn in (mpmath.log, mpmath.log10) and value == 0:
            return None
        if isinstance(value, mpmath.mpc) and abs(value) > 1e30:
            return UNKNOWN   # mpmath's exp of a huge complex computes ln 2 to its size
        if fn is mpmath.exp and abs(value) > 1e6:
            if isinstance(value, mpmath.mpc):   # beyond any double: settle without exp
                return None if value.real > 0 else mpmath.mpf(0)
            # exact (mpmath's exponent is unbounded): log(exp(-1e19)) is -1e19, not log(0)
            return mpmath.exp(value) if abs(value) < 1e40 else UNKNOWN
        if fn in (mpmath.sin, mpmath.cos) and abs(value) > 2**53:
            # Beyond 2^53 one rounding moves the argument by more than a period: only an
            # argument that is exact (an integer the compiler keeps exactly, or a decimal
            # literal's double) has a sine to compare with; 60 digits hold it below 1e55.
            exact = kind == "double" or (kind == "int" and abs(value) < 1e55)
            if isinstance(value, mpmath.mpc) or not exact:
                return UNKNOWN
        result = fn(value)
        if fn in (mpmath.sin, mpmath.cos) and abs(result) < 1e-50 < abs(value):
            return mpmath.mpf(0)   # sin(pi) is 0, not the 1e-61 of pi at 60 digits
        return result
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - mpmath's own limits (recursion, precision)
        return UNKNOWN


def _binary(op, a, b):
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        if a == 0 and (b.real if isinstance(b, mpmath.mpc) else b) < 0:
            return None
        if abs(b) > 1e6 and a != 0 and abs(a) != 1:   # beyond any double: settle without the power
            size = (b.real if isinstance(b, mpmath.mpc) else b) * mpmath.log(abs(a))
            if size > 1e6:
                return None
            if size < -1e6:
                return mpmath.mpf(0)
        return mpmath.power(a, b)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - mpmath's own limits (recursion, precision)
        return UNKNOWN


_DOUBLE_MAX = 1.7976931348623157e308


def _real(value) -> float | None:
    """The value as a finite double, else None (complex, undefined, beyond double range)."""
    if value is None:
        return None
    if isinstance(value, mpmath.mpc):
        if value.imag != 0 and abs(value.imag) > 1e-30 * abs(value):
            return None
        value = value.real
    if not mpmath.isfinite(value) or abs(value) > _DOUBLE_MAX:
        return None
    return float(value)


def _constants_case(rng: random.Random, modelc, solve: bool) -> Outcome:
    depth, state = rng.randint(1, 4), rng.getstate()
    try:
        _, spelled = _expr(rng, depth, decimal=True)
        rng.setstate(state)
        text, value = _expr(rng, depth)
    except RecursionError:   # mpmath on a tower of powers
        return Outcome("ok", "oracle recursion")
    name = rng.choice(["a", "k", "rate", "with_constants", "N_PARAMETERS", "jnp", "inf", "_dtype"])
    source = f"model fuzz\nparameter {name} = {text}\nstate y = 0\nder(y) = {name} + 0*y\n"
    expected = UNKNOWN if value is UNKNOWN else _real(value)
    try:
        model = modelc.parse(source, "fuzz.model", cache_modules=False)
    except modelc.ModelError:
        return Outcome("refused")
    except Exception as exc:  # noqa: BLE001
        return Outcome("raw", f"parse: {type(exc).__name__}: {exc} <- {text}")
    try:
        if solve:     # y(1) = the constant, through a jitted solve
            sol = model.solve(t=(0, 1), points=2, rtol=1e-10, atol=1e-12)
            got, ok = float(sol["y"][-1]), sol.ok
        else:         # the parameter's value as the generated module computes it (no JIT)
            got = float(model.resolved_values()[name])
            ok = math.isfinite(got)
    except (modelc.ModelError, modelc.SolveError):
        return Outcome("refused")
    except Exception as exc:  # noqa: BLE001
        return Outcome("raw", f"solve: {type(exc).__name__}: {exc} <- {text}")
    if expected is UNKNOWN:
        return Outcome("ok", "no independent value")
    if not ok:
        return Outcome("ok" if expected is None or not math.isfinite(got) else "refused")
    if expected is None:
        return Outcome("wrong", f"{text}: success with y(1) = {got}, but the value is not a real double")
    other = _real(spelled) if spelled is not UNKNOWN else None   # the literals read as decimals
    if not any(v is not None and math.isclose(got, v, rel_tol=1e-7, abs_tol=1e-300) for v in (expected, other)):
        return Outcome("wrong", f"{text}: y(1) = {got}, expected {expected}")
    return Outcome("ok")


_HOSTILE_TEXT = [
    "model m\nstate x = 1\nder(x) = -x*9^9^9\n",
    "model m\nparameter a = 9^9^9 + 1\nstate x = 1\nder(x) = -a*x\n",
    "model m\nparameter a = 1/0\nstate x = 1\nder(x) = -a*x\n",
    "model m\nstate x = 1\nder(x) = x/0\n",
    "model m\nstate x = 1\nder(x) = log(0)\n",
    "model m\nstate x = 1\nder(x) = I*x\n",
    "model m\nparameter a = sqrt(-1)\nstate x = 1\nder(x) = a\n",
    "model m\nparameter a = (-8)^(1/3)\nstate x = 1\nder(x) = a\n",
    "model m\nstate x = 1e999\nder(x) = -x\n",
    "model m\nstate x = 1\nder(x) = -k*x*(1 + x/2^70)\nparameter k = 1\n",
    "model m\nstate x = 1\nder(x) = -x*10^400\n",
    "model m\nstate x = 1\nder(x) = " + "(" * 300 + "x" + ")" * 300 + "\n",
    "model m\nstate x = 1\nder(x) = -x" + " + 0*x" * 3000 + "\n",
    "model m\nstate x = 1\nder(x) = exp(exp(exp(exp(1e3))))\n",
    "model m\nstate \u0078\u0301 = 1\nder(x) = -x\n",
    "model m\nstate x = 1\nder(x) = __import__('os').system('true')\n",
    "model m\nstate x = 1\nder(x) = -x\nsimulate t = [0, nan]\n",
    "model m\nstate x = 1\nder(x) = -x\nsimulate t = [0, 1], atol = -1\n",
    "model m\ndomain x = [0, 1], points = 1000000000\nfield u = 0\nder(u) = diff(u, x, 2)\n"
    "boundary u = 0 at x = 0\nboundary u = 0 at x = 1\n",
    "model m\nstate x = 1\nder(x) = -x\nevent when x < 0.5: x = x + 1\n",
    "",
    "\x00\x01\x02",
    "model m\n" + "parameter p = 1\n" * 3,
]


def _hostile_text_case(rng: random.Random, modelc, solve: bool) -> Outcome:
    text = rng.choice(_HOSTILE_TEXT)
    if rng.random() < 0.3:   # mutate: drop or duplicate a character
        i = rng.randrange(max(1, len(text)))
        text = text[:i] + (text[i:i + 1] * 2 if rng.random() < 0.5 else "") + text[i + 1:]
    try:
        model = modelc.parse(text, "hostile.model", cache_modules=False)
    except modelc.ModelError:
        return Outcome("refused")
    except Exception as exc:  # noqa: BLE001
        return Outcome("raw", f"parse: {type(exc).__name__}: {str(exc)[:120]} <- {text[:60]!r}")
    if not solve:
        return Outcome("ok")
    try:
        sol = model.solve(t=(0, 1), points=3, max_steps=2000)
    except (modelc.ModelError, modelc.SolveError):
        return Outcome("refused")
    except Exception as exc:  # noqa: BLE001
        return Outcome("raw", f"solve: {type(exc).__name__}: {str(exc)[:120]} <- {text[:60]!r}")
    values = [float(v) for name in model.state_names for v in sol[name]]
    if sol.ok and not all(math.isfinite(v) for v in values):
        return Outcome("wrong", f"success with non-finite values <- {text[:60]!r}")
    return Outcome("ok")


# ---- API arguments on the decay model -------------------------------------------------

_BAD = [None, "abc", float("nan"), float("inf"), -1.0, 0, 2.5, 10**30, [], (0,), 1j, b"x", {"k": 1}]


def _api_arguments(rng: random.Random) -> dict:
    """Random keyword arguments for ``solve``, often valid, sometimes hostile."""
    kw: dict = {}
    if rng.random() < 0.5:
        t0 = rng.choice([0.0, 0.5, -1.0])
        kw["t"] = (t0, t0 + rng.choice([0.5, 1.0, 3.0])) if rng.random() < 0.7 else rng.choice(_BAD)
    if rng.random() < 0.3:
        kw["saveat"] = (sorted(rng.uniform(0, 2) for _ in range(rng.randint(1, 4)))
                        if rng.random() < 0.5 else [rng.uniform(0, 2) for _ in range(3)])
        if rng.random() < 0.3:
            kw["saveat"] = rng.choice([[0, float("nan"), 1], [], [5, 10], [[0, 1]], "0,1"])
    elif rng.random() < 0.4:
        kw["points"] = rng.choice([2, 3, 10, 0, 1, 2.7, float("inf"), -3, "5", None])
    if rng.random() < 0.4:
        kw["rtol"] = rng.choice([1e-6, 1e-8, 1e-4, 0.0, -1e-6, float("nan"), "1e-6", 2.0])
    if rng.random() < 0.3:
        kw["atol"] = rng.choice([1e-8, 1e-10, -1e-8, 0.0, float("inf")])
    if rng.random() < 0.4:
        kw["params"] = rng.choice([{"k": rng.uniform(0.1, 3.0)}, {"k": rng.uniform(0.1, 3.0)},
                                   {"k": None}, {"k": "fast"}, {"k": [1, 2]}, {"kk": 1.0},
                                   [0.5], {"k": float("nan")}, {"k": 1j}])
    if rng.random() < 0.3:
        kw["y0"] = rng.choice([{"u": rng.uniform(0.5, 3.0)}, {"u": rng.uniform(0.5, 3.0)},
                               {"v": 1.0}, {"u": "x"}, {"u": [1.0, 2.0]}, [1.0]])
    if rng.random() < 0.3:
        kw["method"] = rng.choice(["tsit5", "dopri5", "rodas5", "kvaerno5", "bosh3", "tsit6", "", None, 5])
    if rng.random() < 0.2:
        kw["max_steps"] = rng.choice([10, 100_000, 0, -1, 10**30, 2.5, "many"])
    if rng.random() < 0.15:
        kw["dtype"] = rng.choice(["float32", "float64", "banana", None, int])
    return kw


def _valid(kw: dict) -> bool:
    """Whether every argument is one the docs accept (then a result is expected)."""
    def finite_pos(x):
        return isinstance(x, float) and math.isfinite(x) and x > 0

    t = kw.get("t")
    if "t" in kw and not (isinstance(t, tuple) and len(t) == 2 and all(isinstance(v, float) for v in t)):
        return False
    if "saveat" in kw:
        s = kw["saveat"]
        if not (isinstance(s, list) and s and all(isinstance(v, float) and math.isfinite(v) for v in s)):
            return False
        start = t[0] if t else 0.0
        if min(s) < start or s != sorted(s) or len(set(s)) != len(s):
            return False
    if "points" in kw and not (isinstance(kw["points"], int) and kw["points"] >= 2):
        return False
    if "rtol" in kw and not (finite_pos(kw["rtol"]) and kw["rtol"] < 1):
        return False
    if "atol" in kw and not finite_pos(kw["atol"]):
        return False
    p = kw.get("params", {"k": 0.7})
    if not (isinstance(p, dict) and set(p) == {"k"} and isinstance(p["k"], float) and math.isfinite(p["k"])):
        return False
    y = kw.get("y0", {"u": 2.0})
    if not (isinstance(y, dict) and set(y) == {"u"} and isinstance(y["u"], float)):
        return False
    if kw.get("method", "tsit5") not in ("tsit5", "dopri5", "rodas5", "kvaerno5", "bosh3"):
        return False
    if "max_steps" in kw and not (isinstance(kw["max_steps"], int) and 1 <= kw["max_steps"] <= 10**9):
        return False
    return kw.get("dtype", "float64") in ("float32", "float64")


def _api_case(rng: random.Random, modelc, decay) -> Outcome:
    kw = _api_arguments(rng)
    try:
        sol = decay.solve(**kw)
    except (modelc.SolveError, modelc.ModelError):
        return Outcome("refused")
    except Exception as exc:  # noqa: BLE001
        return Outcome("raw", f"{type(exc).__name__}: {str(exc)[:100]} <- {kw!r}"[:300])
    if not _valid(kw):
        return Outcome("ok") if not sol.ok else Outcome("ok", "accepted")
    if not sol.ok:
        return Outcome("ok", "solver failure reported") if kw.get("max_steps", 10**9) < 1000 else \
            Outcome("wrong", f"valid input not solved <- {kw!r}")
    k, u0 = kw.get("params", {"k": 0.7})["k"], kw.get("y0", {"u": 2.0})["u"]
    t0 = kw["t"][0] if "t" in kw else 0.0
    ts = [float(v) for v in sol.t]
    asked = [float(v) for v in kw.get("saveat", ())]
    if kw.get("dtype") == "float32":   # the times too are float32
        asked = [float(np.float32(v)) for v in asked]
    if "saveat" in kw and ts != asked:
        return Outcome("wrong", f"output times {ts} are not the asked {kw['saveat']}")
    exact = [u0 * math.exp(-k * (ti - t0)) for ti in ts]
    tol = 1e-3 if kw.get("dtype") == "float32" else max(1e3 * kw.get("rtol", 1e-6), 1e-6)
    got = [float(v) for v in sol["u"]]
    if not all(math.isclose(g, e, rel_tol=tol, abs_tol=tol * abs(u0)) for g, e in zip(got, exact)):
        return Outcome("wrong", f"u = {got[:3]} vs exact {exact[:3]} <- {kw!r}"[:300])
    return Outcome("ok")


# ---- command-line options -------------------------------------------------------------

_CLI_OPTIONS = [
    ["--t", "0", "1"], ["--t", "0", "nan"], ["--t", "0", "inf"], ["--t", "1", "0"], ["--t", "a", "b"],
    ["--points", "5"], ["--points", "0"], ["--points", "-1"], ["--points", "2.5"],
    ["--points", "100000000000"], ["--rtol", "1e-8"], ["--rtol", "-1"], ["--rtol", "nan"],
    ["--atol=-1e-8"], ["--atol", "1e-10"], ["--method", "rodas5"], ["--method", "tsit6"],
    ["--method", ""], ["-p", "k=1.5"], ["-p", "k=nan"], ["-p", "kk=1"], ["-p", "k"],
    ["-p", "k=__import__('os')"], ["--y0", "u=3"], ["--y0", "v=3"], ["--max-steps", "0"],
    ["--max-steps", "5"], ["--dt", "inf"], ["--dt", "1e-3"], ["--steps", "-2"], ["--dtype", "float32"],
    ["--dtype", "banana"], ["--controller", "nope"], ["--split", "banana"], ["--phi", "dense"],
    ["--out", "/nonexistent/dir/x.csv"], ["--out", "x.txt"], ["--bogus"],
]


def _cli_case(rng: random.Random, modelc, model_path: Path, workdir: Path) -> Outcome:
    from modelc.cli import main

    argv = ["simulate", str(model_path)]
    for _ in range(rng.randint(0, 3)):
        argv += [str(workdir / o) if o == "x.txt" else o for o in rng.choice(_CLI_OPTIONS)]
    out = workdir / "out.csv"
    if "--out" not in argv and rng.random() < 0.5:
        argv += ["--out", str(out)]
    err, stdout = io.StringIO(), io.StringIO()
    code = None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(stdout):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
        except Exception as exc:  # noqa: BLE001
            return Outcome("traceback", f"{type(exc).__name__}: {exc} <- {argv[2:]}")
    text = err.getvalue()
    if "Traceback" in text or "internal error" in text:
        return Outcome("traceback", f"{text.strip().splitlines()[-1][:150]} <- {argv[2:]}")
    if code not in (0, 1, 2, None):
        return Outcome("traceback", f"exit code {code} <- {argv[2:]}")
    return Outcome("refused" if code else "ok")


# ---- dispatch ---------------------------------------------------------------------------

CLASSES = ("constants", "text", "api", "cli")


@dataclass
class _Context:
    modelc: object
    decay: object
    model_path: Path
    workdir: Path


_CONTEXT: list[_Context] = []


def _context() -> _Context:
    if not _CONTEXT:
        import modelc

        workdir = Path(tempfile.mkdtemp(prefix="hostile-probe-"))
        path = workdir / "decay.model"
        path.write_text(DECAY)
        _CONTEXT.append(_Context(modelc, modelc.parse(DECAY, "decay.model"), path, workdir))
    return _CONTEXT[0]


def run_case(kind: str, seed: int, solve: bool = True) -> Outcome:
    """Run case ``seed`` of class ``kind`` (one of `CLASSES`) and judge it; with ``solve``
    False, constants are judged by the generated module's parameter values and model
    texts only compiled (no JIT)."""
    ctx = _context()
    rng = random.Random(f"{kind}-{seed}")
    if kind == "constants":
        return _constants_case(rng, ctx.modelc, solve)
    if kind == "text":
        return _hostile_text_case(rng, ctx.modelc, solve)
    if kind == "api":
        return _api_case(rng, ctx.modelc, ctx.decay)
    if kind == "cli":
        return _cli_case(rng, ctx.modelc, ctx.model_path, ctx.workdir)
    raise ValueError(f"unknown case class {kind!r}; the classes: {', '.join(CLASSES)}")
