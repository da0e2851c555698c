"""Exponential integrators on spectral PDEs against diffrax, SciPy and hand-written JAX.

Run with ``python benchmarks/expint.py [--pairs 3] [--problems ks,gs] [--points 128]``.

Two problems, both Fourier-spectral with ``dealias = off`` (as Kassam &
Trefethen; modelc's default 2/3 rule is switched off so that the hand-written
code, the peers and modelc discretise the same ODE):

1. **Kuramoto--Sivashinsky** ``u_t = -u u_x - u_xx - u_xxxx``, 128 modes on
   [0, 32 pi], ``u0 = cos(x/16)(1 + sin(x/16))``, error at t = 50
   (examples/kuramoto_sivashinsky.model with ``u u_x`` written ``(u^2)_x / 2``,
   Kassam & Trefethen's form: without dealiasing the two forms alias
   differently, and the peers must integrate the same ODE);
2. **Gray--Scott** on a periodic 128 x 128 grid (examples/gray_scott.model,
   ``points`` raised from 64), 32768 unknowns, error at t = 500; the
   hand-written code uses modelc's split (the linear reaction terms ``-F u``,
   ``-(F + k) v`` in ``L``), so both compute the same numbers at the same step.

Methods: modelc ``method="auto"`` (the choice is printed; the timing includes
its stiffness probe), modelc ``etdrk43`` (what auto picks here, called
directly: no probe), modelc ``etdrk4`` and ``etdab4`` (exponential
Adams--Bashforth, one ``N`` per step; fixed step), a hand-written lean JAX
ETDRK4 and ETD-AB4 (Fourier space, phi-weights computed once, ``fori_loop``:
the bars for generated code), diffrax 0.7.2 Tsit5 and Kvaerno5, SciPy BDF and Radau (NumPy
rhs with FFTs, finite-difference Jacobian).  diffrax 0.7.2's implicit solvers
reject about half their steps through a Newton-termination bug fixed upstream
after that release; the released version is what is measured.

Errors: relative 2-norm at the final time against the hand-written ETDRK4 at
a fine step (h = 1/256 for KS, 1/16 for Gray--Scott).  For each accuracy
target every method takes its loosest setting (fixed step ``h = t_end / N``
with ``N`` growing by 2^(1/4) from ``t_end / h_max``, or rtol = atol by half
decades from 1e-3; about the same resolution in error) that meets it.  Run times:
median over interleaved pairs with the hand-written ETDRK4 at its own matched
setting (``timing.run_pairs``), after warm-up, with ``block_until_ready``;
``vs hw`` is the median of the per-pair ratios (SciPy: one pair).  Compile
time (JAX methods) is the first call minus the second at the loosest setting
(modelc auto: its probe and the chosen method's loop).  ``steps`` and ``nfe`` (rhs or N evaluations)
are exact counts.  ``per step`` lines: run time per step of auto and etdrk43 over
modelc etdrk4's (their ``vs hw`` ratios divided by their step counts).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import diffrax  # noqa: E402
import scipy.integrate  # noqa: E402

import modelc  # noqa: E402
from modelc.solvers import integrate  # noqa: E402
from modelc.solvers.phi import phi_diagonal  # noqa: E402
from timing import run_pairs, timed  # noqa: E402

DENSE_JACOBIAN_LIMIT = 4096
"""Above this many unknowns a dense Jacobian (Kvaerno5, BDF, Radau) is not attempted."""
SCIPY_BUDGET_S = 120.0
"""A SciPy run slower than this ends its tolerance ladder."""


# -- the two problems ------------------------------------------------------------------

class Problem:
    """A spectral problem: modelc model, lean JAX pieces in Fourier space, NumPy rhs."""

    def __init__(self, name, m, t_end, symbols, nonlinear_hat, rhs_np, shape, fine_h, h_max):
        self.name, self.m, self.t_end = name, m, t_end
        self.symbols = symbols            # L per field on the rfft grid
        self.nonlinear_hat = nonlinear_hat  # Fourier coefficients -> N's coefficients
        self.rhs_np = rhs_np
        self.shape, self.fine_h, self.h_max = shape, fine_h, h_max
        mod = m.module
        self.p = mod.parameter_vector({})
        self.y0 = mod.initial_state(self.p, {})
        self.n = int(self.y0.shape[0])

    # packing between the flat modelc state and per-field Fourier coefficients
    def to_hat(self, y):
        fields = jnp.reshape(y, (-1,) + self.shape)
        return jnp.fft.rfftn(fields, axes=tuple(range(1, fields.ndim)))

    def from_hat(self, v):
        return jnp.ravel(jnp.fft.irfftn(v, s=self.shape, axes=tuple(range(1, v.ndim))))

    def rhs_jax(self, t, y, args):
        """Lean JAX rhs (for diffrax): L in Fourier space plus N."""
        v = self.to_hat(y)
        return self.from_hat(self.symbols * v + self.nonlinear_hat(v))


def _wavenumbers(n, length):
    return 2 * np.pi / length * np.fft.fftfreq(n, 1.0 / n)


def _rwavenumbers(n, length):
    return 2 * np.pi / length * np.fft.rfftfreq(n, 1.0 / n)


def kuramoto_sivashinsky() -> Problem:
    """Problem 1 of the module docstring."""
    text = (ROOT / "examples" / "kuramoto_sivashinsky.model").read_text()
    text = text.replace("points = 128", "points = 128, dealias = off")
    m = modelc.parse(text.replace("-u*diff(u, x)", "-diff(u^2, x)/2"), cache_modules=False)
    n, length = 128, 32 * np.pi
    k = jnp.asarray(_rwavenumbers(n, length))
    symbols = (k**2 - k**4)[None]
    ik = 1j * k

    def nonlinear_hat(v):
        u = jnp.fft.irfft(v[0], n=n)
        return (-0.5 * ik * jnp.fft.rfft(u * u))[None]

    kn = _rwavenumbers(n, length)

    def rhs_np(t, u):
        uh = np.fft.rfft(u)
        return np.fft.irfft((kn**2 - kn**4) * uh - 0.5j * kn * np.fft.rfft(u * u), n=n)

    return Problem("Kuramoto-Sivashinsky", m, 50.0, symbols, nonlinear_hat, rhs_np, (n,),
                   1 / 256, 1 / 4)


def gray_scott(points: int) -> Problem:
    """Problem 2 of the module docstring."""
    text = (ROOT / "examples" / "gray_scott.model").read_text()
    text = text.replace("points = 64", f"points = {points}, dealias = off")
    m = modelc.parse(text, cache_modules=False)
    vals = m.resolved_values()
    du, dv, f, kk = (float(vals[x]) for x in ("Du", "Dv", "F", "k"))
    kx = _wavenumbers(points, 1.0)[:, None]
    ky = _rwavenumbers(points, 1.0)[None, :]
    k2 = kx**2 + ky**2
    # The split modelc finds: L = (Du lap - F, Dv lap - (F + k)), N = (F - u v^2, u v^2).
    symbols = jnp.asarray(np.stack([-du * k2 - f, -dv * k2 - (f + kk)]))
    shape = (points, points)

    def nonlinear_hat(v):
        u, w = jnp.fft.irfft2(v[0], s=shape), jnp.fft.irfft2(v[1], s=shape)
        uw2 = u * w * w
        return jnp.stack([jnp.fft.rfft2(f - uw2), jnp.fft.rfft2(uw2)])

    k2n = np.asarray(k2)

    def rhs_np(t, y):
        u, w = y[: points * points].reshape(shape), y[points * points:].reshape(shape)
        lap = lambda a, d: np.fft.irfft2(-d * k2n * np.fft.rfft2(a), s=shape)  # noqa: E731
        uw2 = u * w * w
        return np.concatenate([(lap(u, du) - uw2 + f * (1 - u)).ravel(),
                               (lap(w, dv) + uw2 - (f + kk) * w).ravel()])

    return Problem(f"Gray-Scott {points}x{points}", m, 500.0, symbols, nonlinear_hat, rhs_np,
                   shape, 1 / 16, 4.0)


# -- the hand-written ETDRK4 (the bar) ---------------------------------------------------

def _etdrk4_step(prob: Problem, h):
    """``step(v, N(v)) -> v1``: one Cox--Matthews ETDRK4 step as Kassam & Trefethen
    write it, in Fourier space, its coefficients computed once (here)."""
    lin, nl = prob.symbols, prob.nonlinear_hat
    z = h * lin
    e2, e = jnp.exp(z / 2), jnp.exp(z)
    q = h / 2 * phi_diagonal(z / 2, 1)[1]
    _, p1, p2, p3 = phi_diagonal(z, 3)
    f1, f2, f3 = h * (p1 - 3 * p2 + 4 * p3), h * (p2 - 2 * p3), h * (4 * p3 - p2)

    def step(v, nv):
        a = e2 * v + q * nv
        na = nl(a)
        b = e2 * v + q * na
        nb = nl(b)
        c = e2 * a + q * (2 * nb - nv)
        nc = nl(c)
        return e * v + nv * f1 + 2 * (na + nb) * f2 + nc * f3

    return step


def handwritten_etdrk4(prob: Problem):
    """``run(y0, h, steps) -> (y(t_end), steps, nfe)``: Cox--Matthews ETDRK4 as Kassam &
    Trefethen write it, in Fourier space, coefficients computed once per call."""
    nl = prob.nonlinear_hat

    def run(y0, h, steps):
        step = _etdrk4_step(prob, h)
        v = jax.lax.fori_loop(0, steps, lambda _, v: step(v, nl(v)), prob.to_hat(y0))
        return prob.from_hat(v), steps, 4 * steps

    return jax.jit(run, static_argnums=(2,))


def handwritten_etdab4(prob: Problem):
    """``run(y0, h, steps) -> (y(t_end), steps, nfe)``: Cox--Matthews ETD-AB4 (4-step
    exponential Adams--Bashforth) in Fourier space, started by 3 ETDRK4 steps; weights
    of ``N_n .. N_{n-3}`` computed once per call (backward-difference form: ``c0 =
    phi1, c1 = phi2, c2 = phi3 + phi2/2, c3 = phi4 + phi3 + phi2/3``)."""
    lin, nl = prob.symbols, prob.nonlinear_hat

    def run(y0, h, steps):
        z = h * lin
        e = jnp.exp(z)
        _, p1, p2, p3, p4 = phi_diagonal(z, 4)
        c1, c2, c3 = p2, p3 + p2 / 2, p4 + p3 + p2 / 3
        w0, w1 = h * (p1 + c1 + c2 + c3), -h * (c1 + 2 * c2 + 3 * c3)
        w2, w3 = h * (c2 + 3 * c3), -h * c3
        start = _etdrk4_step(prob, h)
        v, past = prob.to_hat(y0), []
        for _ in range(min(3, steps)):
            nv = nl(v)
            v = start(v, nv)
            past.insert(0, nv)

        def body(_, carry):
            v, n1, n2, n3 = carry
            nv = nl(v)
            return e * v + w0 * nv + w1 * n1 + w2 * n2 + w3 * n3, nv, n1, n2

        if steps > 3:
            v = jax.lax.fori_loop(3, steps, body, (v, *past))[0]
        return prob.from_hat(v), steps, steps + 3 * min(3, steps)

    return jax.jit(run, static_argnums=(2,))


# -- runners: setting -> (y_end, steps, nfe) -------------------------------------------

def _modelc_fixed(prob, method):
    mod, ts = prob.m.module, jnp.array([0.0, prob.t_end])
    fn = jax.jit(lambda y0, h: integrate(mod.rhs, y0, ts, prob.p, method=method, dt0=h,
                                         split=prob.m.split, max_steps=10_000_000))

    def run(h):
        raw = fn(prob.y0, h)
        return raw.ys[-1], raw.steps, raw.nfe
    return run


def _modelc_adaptive(prob, method):
    """An adaptive modelc method directly (no stiffness probe), tolerance a runtime value."""
    mod, ts = prob.m.module, jnp.array([0.0, prob.t_end])
    fn = jax.jit(lambda y0, tol: integrate(mod.rhs, y0, ts, prob.p, method=method, rtol=tol,
                                           atol=tol, split=prob.m.split, max_steps=10_000_000))

    def run(tol):
        raw = fn(prob.y0, tol)
        return raw.ys[-1], raw.steps, raw.nfe
    return run


def _modelc_auto(prob, chosen):
    """Eager ``method="auto"``: the probe runs on concrete values, then the chosen loop."""
    mod, ts = prob.m.module, jnp.array([0.0, prob.t_end])

    def run(tol):
        raw = integrate(mod.rhs, prob.y0, ts, prob.p, method="auto", rtol=tol, atol=tol,
                        jac=prob.m.jacobian, split=prob.m.split, max_steps=10_000_000)
        if tol not in chosen:  # the name, for the table (not timed: runs once per tol)
            chosen[tol] = _auto_choice(prob, tol)
        return raw.ys[-1], raw.steps, raw.nfe
    return run


def _auto_choice(prob, tol):
    from modelc.solvers import choose_method
    return choose_method(prob.m.module.rhs, prob.m.jacobian, (0.0, prob.t_end), prob.y0, prob.p,
                         tol, split=prob.m.split)[0]


def _diffrax(prob, solver):
    term = diffrax.ODETerm(prob.rhs_jax)

    @jax.jit
    def fn(y0, tol):
        sol = diffrax.diffeqsolve(term, solver, 0.0, prob.t_end, None, y0,
                                  saveat=diffrax.SaveAt(t1=True),
                                  stepsize_controller=diffrax.PIDController(rtol=tol, atol=tol),
                                  max_steps=10_000_000)
        return sol.ys[-1], sol.stats["num_steps"], -1  # diffrax does not count rhs calls

    return lambda tol: fn(prob.y0, tol)


def _scipy(prob, method):
    y0 = np.asarray(prob.y0)

    def run(tol):
        sol = scipy.integrate.solve_ivp(prob.rhs_np, (0.0, prob.t_end), y0, method=method,
                                        rtol=tol, atol=tol, t_eval=[prob.t_end])
        return sol.y[:, -1], 0, sol.nfev  # steps: not reported by solve_ivp
    return run


# -- matching and timing ---------------------------------------------------------------

def _error(y, ref):
    y = np.asarray(y)
    return float(np.linalg.norm(y - ref) / np.linalg.norm(ref)) if np.all(np.isfinite(y)) \
        else float("inf")


def _settings(kind, h_max, t_end):
    """The ladder of settings, loosest first: fixed steps ``h = t_end / N`` with ``N``
    growing by 2^(1/4) from ``t_end / h_max`` (8 halvings; an integer number of
    steps), tolerances by half decades from 1e-3 to 1e-12 (about the same
    resolution in error: 2x per rung for an order-4 method, 3x per rung)."""
    if kind == "fixed":
        n0 = t_end / h_max
        counts = sorted({round(n0 * 2 ** (j / 4)) for j in range(33)})
        return [t_end / n for n in counts]
    return [10.0 ** (-j / 2) for j in range(6, 25)]


def _compile_seconds(run, kind, h_max, t_end) -> float:
    """First call minus a second call at the first setting (trace and compile)."""
    x = _settings(kind, h_max, t_end)[0]
    first = timed(lambda: run(x))
    return max(first - timed(lambda: run(x)), 0.0)


def _match(run, kind, h_max, t_end, ref, target, budget=None):
    """Loosest setting meeting ``target``: ``(setting, error, steps, nfe, seconds)`` or None."""
    for x in _settings(kind, h_max, t_end):
        start = time.perf_counter()
        y, steps, nfe = jax.block_until_ready(run(x))
        seconds = time.perf_counter() - start
        err = _error(y, ref)
        if err <= target:
            return x, err, int(steps), int(nfe), seconds
        if budget is not None and seconds > budget:
            return None
    return None


def _fmt(kind, x):
    if kind == "fixed":
        return f"h=1/{1 / x:.4g}" if x < 1 else f"h={x:.4g}"
    return f"tol={x:.0e}"


def bench(prob: Problem, targets, pairs: int) -> None:
    """All methods on one problem at each accuracy target."""
    hw = handwritten_etdrk4(prob)
    hw_ab = handwritten_etdab4(prob)
    steps_of = lambda h: int(round(prob.t_end / h))  # noqa: E731
    ref = np.asarray(hw(prob.y0, prob.fine_h, steps_of(prob.fine_h))[0])
    chosen = {}
    runners = {
        "modelc auto": ("tol", _modelc_auto(prob, chosen)),
        "modelc etdrk43": ("tol", _modelc_adaptive(prob, "etdrk43")),
        "modelc etdrk4": ("fixed", _modelc_fixed(prob, "etdrk4")),
        "modelc etdab4": ("fixed", _modelc_fixed(prob, "etdab4")),
        "hand-written etdrk4": ("fixed", lambda h: hw(prob.y0, h, steps_of(h))),
        "hand-written etdab4": ("fixed", lambda h: hw_ab(prob.y0, h, steps_of(h))),
        "diffrax Tsit5": ("tol", _diffrax(prob, diffrax.Tsit5())),
        "diffrax Kvaerno5": ("tol", _diffrax(prob, diffrax.Kvaerno5())),
        "scipy BDF": ("tol", _scipy(prob, "BDF")),
        "scipy Radau": ("tol", _scipy(prob, "Radau")),
    }
    dense = ("diffrax Kvaerno5", "scipy BDF", "scipy Radau")
    compile_s = {name: _compile_seconds(run, kind, prob.h_max, prob.t_end)
                 for name, (kind, run) in runners.items()
                 if not name.startswith("scipy") and (name not in dense or prob.n <= DENSE_JACOBIAN_LIMIT)}
    print(f"\n{prob.name}: {prob.n} unknowns, error at t = {prob.t_end:g} (relative 2-norm "
          f"against hand-written ETDRK4 h = 1/{round(1 / prob.fine_h)}), dealias off")
    for target in targets:
        print(f"-- target error <= {target:.0e}")
        print(f"{'method':>20} {'setting':>10} {'error':>8} {'steps':>7} {'nfe':>8} "
              f"{'run ms':>9} {'vs hw':>7} {'compile s':>9}")
        hw_match = _match(runners["hand-written etdrk4"][1], "fixed", prob.h_max, prob.t_end, ref,
                          target)
        hw_h = hw_match[0]
        hw_call = lambda: hw(prob.y0, hw_h, steps_of(hw_h))  # noqa: E731
        best_peer, ratios, step_counts = None, {}, {}
        for name, (kind, run) in runners.items():
            if name in dense and prob.n > DENSE_JACOBIAN_LIMIT:
                print(f"{name:>20}  infeasible: a dense {prob.n} x {prob.n} Jacobian "
                      f"({prob.n**2 * 8 / 2**30:.1f} GiB) and its LU per step; not run")
                continue
            scipy_run = name.startswith("scipy")
            match = _match(run, kind, prob.h_max, prob.t_end, ref, target,
                           budget=SCIPY_BUDGET_S if scipy_run else None)
            if match is None:
                print(f"{name:>20}  did not reach the target (settings down to "
                      f"{_fmt(kind, _settings(kind, prob.h_max, prob.t_end)[-1])}"
                      f"{' or the ' + str(SCIPY_BUDGET_S) + ' s budget' if scipy_run else ''})")
                continue
            x, err, steps, nfe, _ = match
            reps = 1 if scipy_run else pairs
            ratio, t_self, _ = run_pairs(lambda: run(x), hw_call, reps)
            comp = f"{compile_s[name]:9.2f}" if name in compile_s else ""
            label = name + (f" ({chosen.get(x)})" if name == "modelc auto" else "")
            steps_s = "" if scipy_run else str(steps)
            nfe_s = "" if nfe < 0 else str(nfe)
            print(f"{label:>20} {_fmt(kind, x):>10} {err:8.1e} {steps_s:>7} {nfe_s:>8} "
                  f"{1e3 * t_self:9.1f} {ratio:7.2f} {comp}", flush=True)
            ratios[name], step_counts[name] = ratio, steps
            if not name.startswith(("modelc", "hand")):
                best_peer = min(best_peer or (np.inf, ""), (ratio, name))
        mine = {name: r for name, r in ratios.items() if name.startswith("modelc")}
        if best_peer is not None:
            line = f"   best non-exponential peer: {best_peer[1]}"
            for name in mine:
                line += f"; {name} {best_peer[0] / ratios[name]:.1f}x faster than it"
            print(line)
            if mine:
                best = min(mine, key=mine.get)
                print(f"   modelc's best exponential method: {best}, "
                      f"{best_peer[0] / mine[best]:.1f}x faster than {best_peer[1]}")
        for method in ("etdrk4", "etdab4"):
            if f"modelc {method}" in ratios and f"hand-written {method}" in ratios:
                print(f"   modelc {method} / hand-written {method} (matched accuracy): "
                      f"{ratios[f'modelc {method}'] / ratios[f'hand-written {method}']:.2f}")
        if "modelc etdrk4" in ratios:
            for name in ("modelc auto", "modelc etdrk43"):
                if name in ratios:  # run time per step over etdrk4's (vs hw ratios / steps)
                    per_step = ((ratios[name] / step_counts[name])
                                / (ratios["modelc etdrk4"] / step_counts["modelc etdrk4"]))
                    print(f"   {name} / modelc etdrk4 per step: {per_step:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--problems", default="ks,gs", help="ks, gs or ks,gs")
    parser.add_argument("--points", type=int, default=128, help="Gray-Scott grid points per axis")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, diffrax {diffrax.__version__}, "
          f"scipy {scipy.__version__}; CPU, float64")
    for name in args.problems.split(","):
        if name == "ks":
            bench(kuramoto_sivashinsky(), (5e-4, 1e-6), args.pairs)
        else:
            bench(gray_scott(args.points), (1e-3, 1e-6), args.pairs)


if __name__ == "__main__":
    main()
