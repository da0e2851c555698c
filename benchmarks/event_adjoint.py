"""Gradients through events: forward sensitivities vs the discrete adjoint.

Run with ``python benchmarks/event_adjoint.py [--sizes 2 8 32] [--pairs 5]``.

A chain of ``n`` compartments dosed every 12 h (``examples/dosing.model`` grown into
``gut -> c1 -> ... -> cn``, one elimination rate per compartment, a dose event at t0
(``initial = false``) and then every ``tau``; tsit5, rtol 1e-8, t = 0..48, 9 outputs).
The gradient of the summed last compartment w.r.t. all ``n + 1`` rates (``k = n + 1``
perturbed scalars; the event times move with none of them) and w.r.t. ``tau`` (the
dose times move with it), by ``ForwardAdjoint`` and by ``CheckpointAdjoint``:

* the largest relative difference between the two gradients (each is the exact
  derivative of the computed solution, so they agree to rounding and tolerance);
* compile time (trace and XLA compile of the jitted gradient, once each: loaded machine);
* run time: ``time(forward) / time(checkpoint)``, the median over ``--pairs``
  interleaved pairs, with each one's median time.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from timing import run_pairs

import modelc


def chain_model(n: int) -> str:
    """The dosing chain with ``n`` compartments (module docstring)."""
    lines = ["model chain", "parameter D = 100, tau = 12, ka = 1.2",
             "parameter " + ", ".join(f"k{i} = {0.1 + 0.05 * i}" for i in range(1, n + 1)),
             "state gut = 0, next_dose = 0, " + ", ".join(f"c{i} = 0" for i in range(1, n + 1)),
             "der(gut) = -ka*gut"]
    prev = "ka*gut"
    for i in range(1, n + 1):
        lines.append(f"der(c{i}) = {prev} - k{i}*c{i}")
        prev = f"k{i}*c{i}"
    lines.append("event dose when t >= next_dose, initial = false: gut = gut + D, "
                 "next_dose = next_dose + tau")
    return "\n".join(lines) + "\n"


def gradients(m, n: int, adjoint):
    """The jitted gradient of the summed last compartment w.r.t. the rates and tau."""
    f = m.solver(rtol=1e-8, atol=1e-10, adjoint=adjoint)
    ts = jnp.linspace(0.0, 48.0, 9)

    def total(rates, tau):
        params = {"ka": rates[0], "tau": tau, **{f"k{i}": rates[i] for i in range(1, n + 1)}}
        return jnp.sum(f({}, params, ts)[f"c{n}"])

    return jax.jit(jax.grad(total, argnums=(0, 1)))


def row(n: int, pairs: int) -> str:
    m = modelc.parse(chain_model(n), "chain.model")
    rates = jnp.array([1.2] + [0.1 + 0.05 * i for i in range(1, n + 1)])
    out, compile_s = {}, {}
    fns = {}
    for name, adjoint in (("forward", modelc.ForwardAdjoint()), ("checkpoint", modelc.CheckpointAdjoint())):
        fns[name] = gradients(m, n, adjoint)
        start = time.perf_counter()
        out[name] = jax.block_until_ready(fns[name](rates, 12.0))
        compile_s[name] = time.perf_counter() - start
    a = np.concatenate([np.asarray(out["forward"][0]), [float(out["forward"][1])]])
    b = np.concatenate([np.asarray(out["checkpoint"][0]), [float(out["checkpoint"][1])]])
    diff = float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)))
    ratio, tf, tc = run_pairs(lambda: fns["forward"](rates, 12.0),
                              lambda: fns["checkpoint"](rates, 12.0), pairs)
    return (f"n={n:3d} k={n + 2:3d}  max rel diff {diff:.1e}  first call fwd {compile_s['forward']:.1f} s"
            f" ckpt {compile_s['checkpoint']:.1f} s  run fwd/ckpt {ratio:.2f} ({tf * 1e3:.1f} ms vs "
            f"{tc * 1e3:.1f} ms)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 8, 32])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", True)
    for n in args.sizes:
        print(row(n, args.pairs), flush=True)


if __name__ == "__main__":
    main()
