"""Run one case of the SBML Test Suite (semantic, time-course) through modelc.

A case folder ``NNNNN/`` holds ``NNNNN-settings.txt`` (output grid, variables,
tolerances), ``NNNNN-results.csv`` (expected values) and the model in one or
more SBML levels. `simulate_case` imports the highest level, compiles it with
`modelc.parse`, solves on the case's grid and applies the suite's rule
``|c - e| <= absolute + relative*|e|`` to every requested variable.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["CaseSettings", "CaseResult", "read_settings", "read_results", "sbml_file",
           "simulate_case", "solve_case", "check_case", "case_options", "CaseSolve", "worst_ratio",
           "SOLVER_OPTIONS"]

#: How cases are solved: tight tolerances (atol also at most 1e-3 of the case's
#: absolute tolerance). Tsit5 compiles faster than dopri8 and is as accurate here.
SOLVER_OPTIONS = {"method": "tsit5", "rtol": 1e-10, "atol": 1e-12, "max_steps": 200_000}


@dataclass(frozen=True)
class CaseSettings:
    """The contents of ``NNNNN-settings.txt``."""

    start: float
    duration: float
    steps: int
    variables: tuple[str, ...]
    absolute: float
    relative: float
    amount: frozenset[str]
    concentration: frozenset[str]

    @property
    def times(self) -> np.ndarray:
        """The output times ``start + i*duration/steps``, ``i = 0..steps``."""
        return self.start + np.arange(self.steps + 1) * (self.duration / self.steps)


@dataclass
class CaseResult:
    """The outcome of one case.

    Attributes:
        case: the case folder's name.
        status: ``passed``, ``failed``, ``refused`` (the importer declined the
            model), ``not-yet-solvable`` (imported and checked, but it uses events,
            delays or constraints that the solvers do not run yet: see
            `modelc.passes.unsupported`) or ``error`` (anything else went wrong).
        reason: one line saying why it did not pass ('' when it passed).
        variables: per requested variable, the largest error divided by its
            allowance (<= 1 passes; NaN when the values are missing).
    """

    case: str
    status: str
    reason: str = ""
    variables: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def read_settings(path) -> CaseSettings:
    """Parse a suite ``settings.txt`` file."""
    values = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            values[key.strip().lower()] = value.strip()

    def names(key):
        return tuple(v.strip() for v in values.get(key, "").split(",") if v.strip())

    return CaseSettings(
        start=float(values.get("start") or 0), duration=float(values["duration"]),
        steps=int(float(values["steps"])), variables=names("variables"),
        absolute=float(values["absolute"]), relative=float(values["relative"]),
        amount=frozenset(names("amount")), concentration=frozenset(names("concentration")))


def read_results(path) -> tuple[list[str], np.ndarray]:
    """The header (time column first) and values of a suite ``results.csv``."""
    lines = [ln for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split(",")]
    rows = [[_number(cell) for cell in ln.split(",")] for ln in lines[1:]]
    return header, np.array(rows, dtype=float)


def _number(cell: str) -> float:
    text = cell.strip().lower()
    special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    return special[text] if text in special else float(text)


def sbml_file(case_dir) -> Path:
    """The case's SBML file of the highest level and version present."""
    case_dir = Path(case_dir)
    found = []
    for path in case_dir.glob("*-sbml-l*v*.xml"):
        match = re.search(r"-sbml-l(\d+)v(\d+)\.xml$", path.name)
        if match:
            found.append((int(match[1]), int(match[2]), path))
    if not found:
        raise FileNotFoundError(f"no SBML file (*-sbml-lXvY.xml) in {case_dir}")
    return max(found)[2]


def simulate_case(case_dir, **solver_options) -> tuple[bool, CaseResult]:
    """Import, compile, solve and check one suite case.

    Args:
        case_dir: the case folder (``.../cases/00001``).
        solver_options: override `SOLVER_OPTIONS` (method, rtol, atol, max_steps).
    Returns:
        ``(passed, details)`` with details a `CaseResult` (status, one-line
        reason, and each variable's worst error relative to its allowance).
    """
    from ..errors import ModelError

    case_dir = Path(case_dir)
    case = case_dir.name
    try:
        from .sbml import translate_sbml

        translation = translate_sbml(sbml_file(case_dir))
    except ModelError as err:
        first = err.diagnostics[0].message if err.diagnostics else str(err)
        more = f" (+{len(err.diagnostics) - 1} more)" if len(err.diagnostics) > 1 else ""
        return False, CaseResult(case, "refused", first + more)
    except Exception as err:  # noqa: BLE001 - an importer bug: this case is refused, the run goes on
        return False, CaseResult(case, "refused", f"{type(err).__name__}: {_first_line(err)}")
    try:
        result = _run(case_dir, case, translation, {**SOLVER_OPTIONS, **solver_options})
    except ModelError as err:
        status = "not-yet-solvable" if _not_yet(err) else "refused"
        first = err.diagnostics[0].message if err.diagnostics else str(err)
        return False, CaseResult(case, status, first)
    except Exception as err:  # noqa: BLE001 - a benchmark reports every failure and goes on
        return False, CaseResult(case, "error", f"{type(err).__name__}: {_first_line(err)}")
    return result.passed, result


def _not_yet(err) -> bool:
    """True for the `NotYetSolvable` refusal of a valid model (events, delays, constraints
    that the solvers cannot run yet); the class is looked up by name, as it disappears
    once the solvers support them all."""
    return any(cls.__name__ == "NotYetSolvable" for cls in type(err).__mro__)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ""


@dataclass
class CaseSolve:
    """One case solved by modelc: its settings, the expected results (``header``, rows)
    and the compiled model with its solution on the case's output times."""

    settings: CaseSettings
    header: list[str]
    expected: np.ndarray
    model: object
    solution: object


def solve_case(case_dir, translation, **solver_options) -> CaseSolve:
    """Compile a translated case (`modelc.io.sbml.translate_sbml`) and solve it on the
    case's output times with `case_options`."""
    import modelc

    case_dir = Path(case_dir)
    case = case_dir.name
    settings = read_settings(case_dir / f"{case}-settings.txt")
    header, expected = read_results(case_dir / f"{case}-results.csv")
    model = modelc.parse(translation.text, f"{case}.model")
    ts = settings.times
    options = case_options(model, settings, stiff=translation.stiff, **solver_options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the status is reported below
        sol = model.solve(t=(0.0, float(ts[-1])), saveat=ts, **options)
    return CaseSolve(settings, header, expected, model, sol)


def case_options(model, settings: CaseSettings, stiff: bool = False, **solver_options) -> dict:
    """The solve options of a compiled case: `SOLVER_OPTIONS` (overridden by
    ``solver_options``) with atol at most 1e-3 of the case's absolute tolerance; rodas5
    for numerically solved constraints or a ``stiff`` translation (simulated fast
    reactions), fixed rk4 steps for a model without states, and room for 20,000 events."""
    options = {**SOLVER_OPTIONS, **solver_options}
    options = {**options, "atol": max(min(options["atol"], 1e-3 * settings.absolute), 1e-20)}
    if stiff or getattr(model.module, "ALGEBRAIC_STATES", ()):
        # constraints solved numerically (a DAE): the explicit default cannot run them;
        # Rodas5 with the mass matrix can
        options = {**options, "method": "rodas5"}
    elif not model.state_names:
        # Nothing to integrate (only parameters and assignment rules): an adaptive
        # step on an empty state never passes its error test, so take fixed steps.
        options = {**options, "method": "rk4", "dt0": float(settings.times[-1]) or 1.0}
    if model.event_names:
        # SBML cases fire events on every crossing of a fast oscillation: record more of them
        # than the API's default (max_events, a fixed-capacity array per solve)
        options = {**options, "max_events": 20_000}
    return options


def _run(case_dir: Path, case: str, translation, options) -> CaseResult:
    return check_case(case, translation, solve_case(case_dir, translation, **options))


def check_case(case: str, translation, solved: CaseSolve) -> CaseResult:
    """Apply the suite's rule to every requested variable of a solved case."""
    settings, header, expected = solved.settings, solved.header, solved.expected
    model, sol, ts = solved.model, solved.solution, solved.settings.times
    worst: dict[str, float] = {}
    reasons = []
    for var in settings.variables:
        column = _column(header, var)
        if column is None:
            reasons.append(f"{var}: not a column of the results file")
            continue
        got = _value(translation, model, sol, var, settings)
        want = expected[:, column]
        ratio = worst_ratio(got, want, settings)
        worst[var] = ratio
        if not ratio <= 1.0:
            i = _worst_index(got, want, settings)
            reasons.append(f"{var} off at t={ts[i]:g}: got {got[i]:.8g}, expected {want[i]:.8g}")
    time_ratio = worst_ratio(np.asarray(sol.t), expected[:, 0], settings)
    if not time_ratio <= 1.0:
        reasons.append("output times differ from the results file")
    if not sol.ok:
        reasons.insert(0, f"solver: {sol.message}")
    status = "failed" if reasons else "passed"
    return CaseResult(case, status, "; ".join(reasons[:2]), worst)


def _column(header, var) -> int | None:
    """The results column of ``var`` (ids are case-sensitive; column 0 is time)."""
    if var in header[1:]:
        return header.index(var, 1)
    folded = [i for i, h in enumerate(header) if i and h.lower() == var.lower()]
    return folded[0] if len(folded) == 1 else None


def _value(translation, model, sol, var, settings) -> np.ndarray:
    quantity = translation.quantities.get(var)
    if quantity is None:
        raise KeyError(f"{var!r} is not a compartment, species or parameter of the model")
    n = len(sol.t)
    if quantity.role == "parameter":
        values = np.full(n, model.defaults[quantity.name])
    else:
        values = np.asarray(sol[quantity.name], dtype=float)
    if quantity.kind != "species":
        return values
    want = "concentration" if var in settings.concentration else "amount"
    if want == quantity.unit:
        return values
    if quantity.compartment is None:
        raise ValueError(f"species {var!r}: its compartment has no size, so amount and "
                         "concentration cannot be converted")
    comp = quantity.compartment
    size = np.asarray(sol[comp], dtype=float) if comp in sol.names else model.defaults[comp]
    return values * size if want == "amount" else values / size


def _allowance(want, settings):
    return settings.absolute + settings.relative * np.abs(want)


def _point_ratios(got, want, settings) -> np.ndarray:
    got, want = np.broadcast_arrays(np.asarray(got, float), np.asarray(want, float))
    with np.errstate(invalid="ignore"):
        ratio = np.abs(got - want) / _allowance(want, settings)
    same_special = (np.isnan(want) & np.isnan(got)) | (np.isinf(want) & (got == want))
    ratio = np.where(same_special, 0.0, ratio)
    bad = ~np.isfinite(want) & ~same_special | ~np.isfinite(got) & ~same_special
    return np.where(bad, np.inf, ratio)


def worst_ratio(got, want, settings) -> float:
    """The largest ``|got - want| / (absolute + relative |want|)`` over the points (the
    suite's rule passes at <= 1; NaN must match NaN and infinities the same infinity; a
    length mismatch is ``inf``). ``settings`` gives ``absolute`` and ``relative``."""
    if len(got) != len(want):
        return math.inf
    return float(np.max(_point_ratios(got, want, settings), initial=0.0))


def _worst_index(got, want, settings) -> int:
    return int(np.argmax(_point_ratios(got, want, settings)))
