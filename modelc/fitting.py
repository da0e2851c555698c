"""Parameter fitting: least squares (or a user loss) with exact gradients, multi-start
and time-window continuation.

``fit(model, data, params=[...])`` solves the model at the data's times with
the parameters being estimated, compares the states/observables named by the
data's columns, and minimises the mean squared residual (NaNs in the data are
skipped), or a user ``loss``, with SciPy's L-BFGS-B and the exact gradient
(reverse mode, :mod:`modelc.solvers.adjoint`). A line search that stops once the
loss no longer changes beyond 10 ``rtol`` (the solve cannot resolve it more
finely) has found the optimum: it is reported as converged. ``starts`` runs more local fits from a
Latin hypercube within the bounds and keeps the best; ``windows`` fits growing
leading parts of the data first (oscillations: a fit to all of the data at once
falls into phase-mismatched local minima).  Parameters are
optimised in units of their starting values, so bounds and scales of very
different sizes are handled alike.  Standard errors come from the Gauss--Newton
covariance ``s^2 (J^T J)^-1`` of the residuals at the optimum (least squares).
Needs the ``fit`` extra (SciPy; matplotlib for plots).

Models with array states and external functions fit too: the externals are
bound once (``externals=``), array states need their ``y0``, and a data
column named after an array state holds its values at the data's times,
shape ``(times, *shape)`` (a dict entry; a CSV holds scalar columns only).
Every entry of such a column is one residual.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .errors import SolveError
from .options import SolveOptions, check_output_times, model_values
from .runs import run_function
from .solution import Solution

__all__ = ["fit", "FitResult", "read_data"]


@dataclass
class FitResult:
    """The outcome of :func:`fit`.

    Attributes:
        params: estimates by name.  stderr: their standard errors (least
        squares only; NaN where the covariance is singular).  loss: final
        loss.  history: loss after each iteration.  success, message: the
        optimizer's verdict.  solution: the model solved with the estimates at
        the data's times.  data: the data fitted (``t`` and named columns).
        starts: the final loss of each local fit (one per start).
    """

    params: dict
    stderr: dict
    loss: float
    history: list
    success: bool
    message: str
    solution: Solution
    data: dict = field(repr=False, default_factory=dict)
    starts: list = field(default_factory=list)

    def plot(self, path: str | Path) -> Path:
        """Write a PNG of the fitted curves (lines) over the data (points)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (ax, lx) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 1]})
        for name, values in self.data.items():
            if name == "t":
                continue
            fitted = np.reshape(self.solution[name], (len(self.solution.t), -1))
            values = np.reshape(values, (len(self.data["t"]), -1))
            for j in range(fitted.shape[1]):  # array states: one curve per entry
                line, = ax.plot(self.solution.t, fitted[:, j], label=None if j else f"{name} (fit)")
                ax.plot(self.data["t"], values[:, j], "o", ms=3, color=line.get_color(),
                        label=None if j else name)
        ax.set_xlabel("t")
        ax.legend(fontsize="small")
        ax.set_title(", ".join(f"{k} = {v:.4g}" for k, v in self.params.items()))
        lx.semilogy(np.arange(len(self.history)), self.history)
        lx.set_xlabel("iteration")
        lx.set_ylabel("loss")
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return Path(path)


def read_data(path: str | Path) -> dict:
    """A CSV with a header row: a ``t`` column and columns named after states/observables.

    Empty cells are missing values (NaN); any other cell that is not a number is an
    error naming ``file:line:column``.  A ``.npz`` file holds the same columns as
    arrays by name (an array state's of shape ``(times, *shape)``).
    """
    import csv

    if str(path).endswith(".npz"):
        with np.load(path) as archive:
            if "t" not in archive:
                raise SolveError(f"{path}: the data needs an array named 't' (got "
                                 f"{', '.join(sorted(archive))})")
            return {name: np.asarray(archive[name], float) for name in archive}

    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    names = [name.strip() for name in rows[0]] if rows else []
    if "t" not in names:
        raise SolveError(f"{path}: the data needs a column named 't' (got {', '.join(names)})")
    values = np.full((len(rows) - 1, len(names)), np.nan)
    for i, row in enumerate(rows[1:]):
        for j, cell in enumerate(row[:len(names)]):
            if cell.strip():
                try:
                    values[i, j] = float(cell)
                except ValueError:
                    raise SolveError(f"{path}:{i + 2}:{j + 1}: {cell.strip()!r} in column "
                                     f"{names[j]!r} is not a number (leave a missing "
                                     "value empty)") from None
    return {name: values[:, j] for j, name in enumerate(names)}


def fit(model, data, params, *, bounds: dict | None = None, initial: dict | None = None,
        fixed: dict | None = None, y0: dict | None = None, method: str = "tsit5",
        rtol: float = 1e-8, atol: float = 1e-10, loss: Callable | None = None,
        max_iter: int = 500, t0: float | None = None, externals: dict | None = None,
        starts: int = 1, seed: int = 0, windows: int = 1) -> FitResult:
    """Estimate ``params`` of ``model`` from ``data``.

    Args:
        model: a compiled model (``modelc.load``).
        data: a CSV path or a dict with ``t`` and columns named after states or
            observables (NaN = missing); a column of an array state has shape
            ``(times, *shape)``.
        params: names of the parameters to estimate (the rest keep their values).
        bounds: ``{name: (low, high)}`` (either may be None).
        initial: starting values (default: the model's values).
        fixed: other parameter values to use instead of the model's.
        y0: initial state values by name (arrays for array states).
        method, rtol, atol: the solver.
        loss: ``loss(predicted, observed, mask) -> scalar`` on ``(times, columns)``
            arrays; default the mean squared residual over observed entries.
        max_iter: iteration limit of the optimizer.
        t0: start time (default: the model's ``simulate t``, else the first data time).
        externals: the model's external functions by name (array models).
        starts: how many local fits to run; beyond the first (from ``initial``), the
            starting points are a Latin hypercube within ``bounds`` (each fitted
            parameter then needs finite bounds). The best fit is returned.
        seed: the Latin hypercube's random seed.
        windows: fit the first 1/windows of the data rows, then 2/windows, ..., then all
            of them, each from the previous estimate: for oscillating or otherwise
            long-horizon data, where a fit to all of it at once falls into a local
            minimum (a phase mismatch) from all but very close starts.
    Returns:
        a :class:`FitResult`.
    """
    data = read_data(data) if isinstance(data, (str, Path)) else {k: np.asarray(v, float)
                                                                  for k, v in data.items()}
    params = [params] if isinstance(params, str) else list(params)
    externals = model.check_externals(externals)
    opts = SolveOptions.resolve(method=method, rtol=rtol, atol=atol)
    model_values(model, {p: 0.0 for p in params}, None)
    for argument, given in (("bounds", bounds), ("initial", initial)):
        _check_fitted_names(argument, given, params)
    columns = [c for c in data if c != "t"]
    unknown = [c for c in columns if c not in model.state_names + model.observable_names]
    if unknown:
        raise SolveError(f"data columns {unknown} are neither states nor observables of "
                         f"model {model.name!r}")
    start = dict(model.resolved_values(fixed, y0))
    start.update(initial or {})
    scale = np.array([abs(start[p]) or 1.0 for p in params])
    def fitter(rows):
        """The local fit on the first ``rows`` data rows, and its residuals, times and mask."""
        ts, observed, mask, drop = _grid(model, {k: v[:rows] for k, v in data.items()}, columns, t0)
        residuals = _residual_fn(model, params, scale, columns, ts, observed, mask, drop,
                                 dict(fixed or {}), dict(y0 or {}), opts, externals)
        n_observed = mask.sum()
        objective = ((lambda x: jnp.sum(residuals(x) ** 2) / n_observed) if loss is None  # noqa: E731
                     else (lambda x: loss(*residuals(x, raw=True))))
        local = _minimize(objective, bounds, params, scale, max_iter, rtol)
        return local, residuals, ts, mask

    x0 = np.array([start[p] for p in params]) / scale
    starting_points = [x0, *_latin_hypercube(bounds, params, scale, starts - 1, seed)]
    rows = len(np.asarray(data["t"]))
    local, residuals, ts, mask = fitter(rows)   # the data are checked here first
    if int(windows) != windows or not 1 <= windows <= rows:
        raise SolveError(f"windows={windows!r}: a whole number from 1 to the number of data rows ({rows})")
    partial = [fitter(max(1, round(rows * k / windows)))[0] for k in range(1, int(windows))]

    def run_from(x):
        for fit_window in partial:   # the first part of the data first, then more of it
            x = fit_window(x).x
        return local(x)

    runs = [run_from(x) for x in starting_points]
    res = min(runs, key=lambda r: r.fun if np.isfinite(r.fun) else np.inf)
    history = res.history
    est = dict(zip(params, (res.x * scale).tolist()))
    stderr = _stderr(residuals, res.x, scale, params, mask.sum()) if loss is None else {
        p: float("nan") for p in params}
    sol = model.solve(t=(ts[0], ts[-1]), points=max(200, len(ts)), method=method, rtol=rtol,
                      atol=atol, params={**(fixed or {}), **est}, y0=y0, externals=externals or None)
    message = str(res.message) + (f" (best of {len(runs)} starts)" if len(runs) > 1 else "")
    return FitResult(params=est, stderr=stderr, loss=float(res.fun), history=history or
                     [float(res.fun)], success=bool(res.success), message=message,
                     solution=sol, data=data, starts=[float(r.fun) for r in runs])


def _check_fitted_names(argument: str, given, params) -> None:
    """Every name in ``bounds``/``initial`` is a parameter being fitted (`SolveError`)."""
    for name in given or {}:
        if name not in params:
            close = difflib.get_close_matches(str(name), params, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SolveError(f"{argument}: {name!r} is not a parameter being fitted{hint} "
                             f"(fitted: {', '.join(params)})")


def _grid(model, data, columns, t0):
    """Output times (starting at t0), observed values, mask, and whether t0 was added.

    The data times must be finite, sorted and not before ``t0``; values may be NaN
    (missing) but not infinite (`SolveError` naming the column and time)."""
    if np.size(data["t"]) == 0:
        raise SolveError("the data have no rows: give at least one time with observations")
    t = check_output_times(np.asarray(data["t"], float), "data column 't'")
    if t0 is None:
        t0 = model.simulate_defaults.get("t0", t[0])
    early = t < t0 if t[-1] >= t[0] else t > t0
    if early.any():
        raise SolveError(f"{int(early.sum())} data row(s) lie before t0 = {float(t0):g} (the "
                         f"first at t = {t[early][0]:g}): the solve starts at t0, where the "
                         "initial values belong; drop those rows or pass t0=")
    drop = bool(t[0] != t0)
    ts = np.concatenate([[t0], t]) if drop else t
    n = len(t)
    for c in columns:
        if np.shape(data[c])[:1] != (n,):
            raise SolveError(f"data column {c!r} has shape {np.shape(data[c])}; it needs one "
                             f"value (or one array) per time, {n} in all")
    obs = np.column_stack([np.reshape(data[c], (n, -1)) for c in columns])
    infinite = np.argwhere(np.isinf(obs))
    if infinite.size:
        row = infinite[0][0]
        raise SolveError(f"the data hold an infinite value at t = {t[row]:g}: leave a missing "
                         "value empty (NaN), not inf")
    mask = np.isfinite(obs)
    return ts, np.where(mask, obs, 0.0), mask, drop


def _residual_fn(model, params, scale, columns, ts, observed, mask, drop, fixed, y0, opts,
                 externals=None):
    """``r(x)``: residuals at observed entries for scaled parameters ``x`` (0 elsewhere)."""
    dt0 = opts.step(abs(ts[-1] - ts[0]))
    run = run_function(model, opts, dt0 is not None, externals)
    arrays = model.is_array_model
    idx = [(0, model.state_names.index(c)) if c in model.state_names
           else (1, model.observable_names.index(c)) for c in columns]

    def column(out, obs, extra, c, kind, j):
        """The predicted column ``c`` as ``(times, entries)``."""
        if kind == 1:
            return obs[:, j:j + 1]
        if arrays:  # the flat state's layout is internal: take the unpacked state
            return jnp.reshape(extra[c], (extra[c].shape[0], -1))
        return out.ys[:, j:j + 1]
    tsj = jnp.asarray(ts)
    fixed = {k: jnp.asarray(v, float) for k, v in fixed.items()}
    y0 = {k: jnp.asarray(v, float) for k, v in y0.items()}
    mask_j, obs_j = jnp.asarray(mask), jnp.asarray(observed)

    def residuals(x, raw=False):
        values = dict(fixed, **{p: x[i] * scale[i] for i, p in enumerate(params)})
        out, obs, extra = run(y0, values, tsj, opts.rtol, opts.atol, dt0)
        pred = jnp.concatenate([column(out, obs, extra, c, kind, j)
                                for c, (kind, j) in zip(columns, idx)], axis=1)
        pred = pred[1:] if drop else pred
        if raw:
            return pred, obs_j, mask_j
        return jnp.where(mask_j, pred - obs_j, 0.0).ravel()

    return residuals


@dataclass
class _Local:
    """One local fit: scaled estimate, loss, verdict and the loss after each iteration."""

    x: np.ndarray
    fun: float
    success: bool
    message: str
    history: list


def _solver_noise(rtol: float) -> float:
    """The relative change of the loss below which the solver's own error (``rtol``) hides
    any progress."""
    return max(10 * rtol, 1e-12)


def _minimize(objective, bounds, params, scale, max_iter, rtol):
    """Local fits by L-BFGS-B with the exact gradient. It runs to tight tolerances; a line
    search that fails once the loss no longer changes beyond the solver's accuracy
    (``rtol``) has found the optimum as well as the solves can resolve it: converged."""
    from scipy.optimize import minimize

    value_and_grad = jax.jit(jax.value_and_grad(objective))
    noise = _solver_noise(rtol)

    def local(x0):
        history = []

        def fun(x):
            v, g = value_and_grad(jnp.asarray(x))
            return float(v), np.asarray(g, dtype=float)

        r = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=_scaled_bounds(bounds, params, scale),
                     callback=lambda x: history.append(fun(x)[0]),
                     options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-12})
        stalled = (not r.success and r.status == 2 and len(history) >= 2
                   and abs(history[-1] - history[-2]) <= noise * max(abs(history[-1]), 1e-300))
        if r.success:
            message = f"converged ({r.message})"
        elif stalled:
            message = ("converged to the solver's accuracy (the loss no longer changes beyond "
                       f"rtol; the line search stopped: {r.message})")
        else:
            message = f"did not converge ({r.message})"
        return _Local(r.x, float(r.fun), bool(r.success or stalled), message, history)

    return local


def _latin_hypercube(bounds, params, scale, count: int, seed: int) -> list:
    """``count`` scaled starting points, a Latin hypercube within ``bounds`` (all finite)."""
    if count <= 0:
        return []
    lo, hi = _bound_arrays(bounds, params, scale)
    open_ended = [p for p, a, b in zip(params, lo, hi) if not (np.isfinite(a) and np.isfinite(b))]
    if open_ended:
        raise SolveError(f"starts > 1 samples starting points within the bounds: give finite "
                         f"bounds for {', '.join(open_ended)} (e.g. bounds={{{open_ended[0]!r}: "
                         "(0.1, 10)}})")
    from scipy.stats import qmc

    return list(qmc.scale(qmc.LatinHypercube(d=len(params), seed=seed).random(count), lo, hi))


def _bound_arrays(bounds, params, scale):
    """Scaled lower and upper bounds as arrays (infinite where open)."""
    pairs = _scaled_bounds(bounds, params, scale)
    lo = np.array([-np.inf if a is None else a for a, _ in pairs])
    hi = np.array([np.inf if b is None else b for _, b in pairs])
    return lo, hi


def _scaled_bounds(bounds, params, scale):
    bounds = bounds or {}
    out = []
    for p, s in zip(params, scale):
        lo, hi = bounds.get(p, (None, None))
        out.append((None if lo is None else lo / s, None if hi is None else hi / s))
    return out


def _stderr(residuals, x, scale, params, nobs):
    """Gauss--Newton standard errors ``sqrt(diag(s^2 (J^T J)^-1))`` in parameter units."""
    r = np.asarray(residuals(jnp.asarray(x)))
    jac = np.asarray(jax.jacfwd(residuals)(jnp.asarray(x))) / scale
    dof = max(int(nobs) - len(params), 1)
    s2 = float(r @ r) / dof
    try:
        cov = s2 * np.linalg.inv(jac.T @ jac)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:
        se = np.full(len(params), np.nan)
    return dict(zip(params, se.tolist()))
