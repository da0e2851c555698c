"""PDEs by the method of lines: modelc against a hand-written JAX version and py-pde.

Run with ``python benchmarks/pde.py [--pairs 5]``. Two problems:

* Kuramoto-Sivashinsky, x in [0, 32 pi], 128 Fourier modes, t = 0..30
  (examples/kuramoto_sivashinsky.model);
* Gray-Scott, 2-D periodic [0, 1]^2 on 128 x 128 points, t = 0..500
  (examples/gray_scott.model with 128 points per axis).

modelc and the hand-written JAX right-hand side (rfft, the same 2/3-rule
dealiasing) are integrated by the same solver (modelc's tsit5, rtol 1e-6,
atol 1e-8), so their ratio measures the generated code. py-pde (numba backend,
its adaptive explicit Runge-Kutta at tolerance 1e-6) uses second-order finite
differences on the same grid; its error is reported next to its time. Errors
are max-norm differences at the final time against modelc at rtol 1e-10.

Run times are medians of interleaved pairs after warm-up (``block_until_ready``
for JAX); compile times are measured separately. Last, the cost of one
right-hand-side evaluation as the grid grows: KS from 256 to 4,096 points and
Gray-Scott from 64^2 to 512^2.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import modelc  # noqa: E402
from modelc import solvers  # noqa: E402
from timing import run_pairs, timed  # noqa: E402

KS_TEXT = (ROOT / "examples" / "kuramoto_sivashinsky.model").read_text()
GS_TEXT = (ROOT / "examples" / "gray_scott.model").read_text()
RTOL, ATOL = 1e-6, 1e-8


# ---- hand-written JAX right-hand sides ---------------------------------------------


def _mask(n):
    m = np.fft.rfftfreq(n, 1.0 / n)
    return jnp.asarray(np.abs(m) < n / 3)


def ks_rhs_factory(n, length):
    """The KS right-hand side written by hand: one rfft, one irfft for the linear and
    nonlinear terms together, 2/3-rule filter."""
    k = 2 * np.pi / length * np.fft.rfftfreq(n, 1.0 / n)
    k_odd = np.where(np.arange(k.size) == n // 2, 0.0, k)
    lin = jnp.asarray(k**2 - k**4)
    ik = jnp.asarray(1j * k_odd)
    mask = _mask(n)

    def rhs(t, u, p):
        uh = jnp.fft.rfft(u)
        ux = jnp.fft.irfft(ik * uh, n=n)
        nonlinear = jnp.fft.rfft(-u * ux)
        return jnp.fft.irfft(mask * (lin * uh + nonlinear), n=n)

    return rhs


def gs_rhs_factory(n, du=2e-5, dv=1e-5, f=0.04, kk=0.06):
    """Gray-Scott by hand: rfft2 Laplacians and the reaction terms, 2/3-rule filter."""
    kx = 2 * np.pi * np.fft.fftfreq(n, 1.0 / n)
    ky = 2 * np.pi * np.fft.rfftfreq(n, 1.0 / n)
    lap = jnp.asarray(-(kx[:, None] ** 2 + ky[None, :] ** 2))
    mx = np.abs(np.fft.fftfreq(n, 1.0 / n)) < n / 3
    my = np.abs(np.fft.rfftfreq(n, 1.0 / n)) < n / 3
    mask = jnp.asarray(mx[:, None] & my[None, :])
    size = n * n

    def rhs(t, y, p):
        u, v = y[:size].reshape(n, n), y[size:].reshape(n, n)
        uh, vh = jnp.fft.rfft2(u), jnp.fft.rfft2(v)
        uvv = u * v * v
        ru = jnp.fft.irfft2(mask * (du * lap * uh + jnp.fft.rfft2(-uvv + f * (1 - u))), s=(n, n))
        rv = jnp.fft.irfft2(mask * (dv * lap * vh + jnp.fft.rfft2(uvv - (f + kk) * v)), s=(n, n))
        return jnp.concatenate([ru.ravel(), rv.ravel()])

    return rhs


# ---- runs ------------------------------------------------------------------------------


def _modelc(text):
    return modelc.parse(text, cache_modules=False)


def _jit_solve(rhs, y0, p, ts, rtol=RTOL, atol=ATOL):
    fn = jax.jit(lambda y: solvers.integrate(rhs, y, ts, p, method="tsit5", rtol=rtol, atol=atol,
                                             max_steps=200_000).ys[-1])
    start = time.perf_counter()
    jax.block_until_ready(fn(y0))
    return fn, time.perf_counter() - start


def _compare(name, model, hand_rhs, t1, pypde_run, pairs):
    module = model.module
    p = module.parameter_vector({})
    y0 = module.initial_state(p, {})
    ts = jnp.array([0.0, t1])
    gen, gen_first = _jit_solve(module.rhs, y0, p, ts)
    hand, hand_first = _jit_solve(hand_rhs, y0, p, ts)
    ref_fn, _ = _jit_solve(module.rhs, y0, p, ts, rtol=1e-10, atol=1e-12)
    ref = np.asarray(ref_fn(y0))
    err_gen = np.max(np.abs(np.asarray(gen(y0)) - ref))
    err_hand = np.max(np.abs(np.asarray(hand(y0)) - ref))
    ratio, t_gen, t_hand = run_pairs(lambda: gen(y0), lambda: hand(y0), pairs)
    print(f"\n{name}")
    print(f"  modelc      run {t_gen * 1e3:9.1f} ms  (first call incl. compile {gen_first:.2f} s)  error {err_gen:.1e}")
    print(f"  hand JAX    run {t_hand * 1e3:9.1f} ms  (first call incl. compile {hand_first:.2f} s)  "
          f"error {err_hand:.1e}")
    print(f"  modelc / hand-written JAX = {ratio:.2f} (median of {pairs} interleaved pairs)")
    if pypde_run is not None:
        times, result = [], None
        pypde_run()  # warm-up: numba compilation
        for _ in range(max(2, pairs // 2)):
            start = time.perf_counter()
            result = pypde_run()
            times.append(time.perf_counter() - start)
        t_py = statistics.median(times)
        err_py = np.max(np.abs(result - ref))
        print(f"  py-pde      run {t_py * 1e3:9.1f} ms  (numba, median of {len(times)})  error {err_py:.1e}")
        print(f"  py-pde / modelc = {t_py / t_gen:.2f}")


def _import_pypde():
    """py-pde's package ``pde``, not this script (whose folder is first on sys.path)."""
    here = Path(__file__).resolve().parent
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    try:
        import pde
    finally:
        sys.path[:] = saved
    return pde


def _pypde_ks(t1):
    pde = _import_pypde()

    grid = pde.CartesianGrid([[0, 32 * np.pi]], 128, periodic=True)
    state = pde.ScalarField.from_expression(grid, "cos(x/16)*(1 + sin(x/16))")
    eq = pde.PDE({"u": "-u * d_dx(u) - laplace(u) - laplace(laplace(u))"})

    def run():
        out = eq.solve(state, t_range=t1, dt=1e-3, solver="explicit", adaptive=True, tolerance=RTOL,
                       tracker=None, backend="numba")
        return out.data

    return run


def _pypde_gs(t1, n):
    pde = _import_pypde()

    grid = pde.CartesianGrid([[0, 1], [0, 1]], [n, n], periodic=True)
    # py-pde's cell centres are offset by h/2 from modelc's nodes; evaluate the same
    # initial condition at modelc's nodes and hand over the arrays
    x = np.arange(n) / n
    xx, yy = np.meshgrid(x, x, indexing="ij")
    bump = np.exp(-((xx - 0.5) ** 2 + (yy - 0.5) ** 2) / 0.005)
    u = pde.ScalarField(grid, 1 - 0.5 * bump, label="u")
    v = pde.ScalarField(grid, 0.25 * bump, label="v")
    state = pde.FieldCollection([u, v])
    eq = pde.PDE({"u": "2e-5*laplace(u) - u*v**2 + 0.04*(1 - u)",
                  "v": "1e-5*laplace(v) + u*v**2 - 0.1*v"})

    def run():
        out = eq.solve(state, t_range=t1, dt=0.1, solver="explicit", adaptive=True, tolerance=RTOL,
                       tracker=None, backend="numba")
        return np.concatenate([out[0].data.ravel(), out[1].data.ravel()])

    return run


def _rhs_cost(module, repeats=50):
    p = module.parameter_vector({})
    y = module.initial_state(p, {})
    f = jax.jit(module.rhs)
    jax.block_until_ready(f(0.0, y, p))
    return statistics.median(timed(lambda: f(0.0, y, p)) for _ in range(repeats))


def _scaling():
    print("\nOne rhs evaluation (median of 50 calls, after compile)")
    base = None
    for n in (256, 512, 1024, 2048, 4096):
        cost = _rhs_cost(_modelc(KS_TEXT.replace("points = 128", f"points = {n}")).module)
        base = base or cost / (n * np.log2(n))
        print(f"  KS 1-D  N = {n:5d}: {cost * 1e6:8.1f} us   (/ N log2 N, relative to N = 256: "
              f"{cost / (n * np.log2(n)) / base:.2f})")
    base = None
    for n in (64, 128, 256, 512):
        text = GS_TEXT.replace("points = 64", f"points = {n}")
        cost = _rhs_cost(_modelc(text).module, repeats=20)
        base = base or cost / (n * n * np.log2(n * n))
        print(f"  GS 2-D  N = {n:3d}^2: {cost * 1e6:8.1f} us   (/ N log2 N, relative to 64^2: "
              f"{cost / (n * n * np.log2(n * n)) / base:.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--no-pypde", action="store_true", help="skip py-pde")
    parser.add_argument("--gs-t", type=float, default=500.0, help="Gray-Scott end time")
    parser.add_argument("--skip-ks", action="store_true", help="skip the Kuramoto-Sivashinsky comparison")
    args = parser.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; rtol {RTOL}, atol {ATOL}; tsit5")
    if not args.skip_ks:
        ks = _modelc(KS_TEXT)
        _compare("Kuramoto-Sivashinsky, 128 modes, t = 0..30", ks, ks_rhs_factory(128, 32 * np.pi), 30.0,
                 None if args.no_pypde else _pypde_ks(30.0), args.pairs)
    gs = _modelc(GS_TEXT.replace("points = 64", "points = 128"))
    _compare(f"Gray-Scott 2-D, 128 x 128, t = 0..{args.gs_t:g}", gs, gs_rhs_factory(128), args.gs_t,
             None if args.no_pypde else _pypde_gs(args.gs_t, 128), args.pairs)
    _scaling()


if __name__ == "__main__":
    main()
