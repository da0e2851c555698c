"""Program size, compile and run time of a stiff method's solve or gradient on a network.

Run with ``python benchmarks/stiff_grad_compile.py [--size 200] [--method kvaerno5]
[--mode grad|solve] [--roll default|true|false]`` (one measurement, in this process:
run it in fresh processes and alternate trees, e.g. ``PYTHONPATH=<other tree>``, to
compare code versions).

The random mass-action network of benchmarks/network_scaling.py (issue 16's recipe)
with ``--size`` species is solved through ``modelc.solvers.integrate`` on its generated
rhs and Jacobian (t = 0..10, 11 outputs, rtol 1e-6, atol 1e-9); ``grad`` times the
gradient of the final state's sum with respect to the rate constants
(``CheckpointAdjoint``: the discrete adjoint, which replays the stepper's
``differentiable_step``). Printed: trace (``lower``) and XLA compile wall seconds,
their CPU seconds together, the fusions and ``while`` loops of the optimized HLO, the
first and a second call's time, and the result's sum (equal across versions to
rounding). ``--roll`` sets the stepper's ``roll`` field (``default`` leaves it out, so
the script also runs on trees without it).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

os.environ.setdefault("MODELC_XLA_CACHE", "0")   # a cold compile, not the persistent cache

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import modelc  # noqa: E402
from modelc.solvers import integrate  # noqa: E402
from modelc.solvers.adjoint import CheckpointAdjoint  # noqa: E402
from modelc.solvers.methods import METHODS  # noqa: E402
from network_scaling import model_text  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--method", default="kvaerno5")
    parser.add_argument("--mode", choices=("grad", "solve"), default="grad")
    parser.add_argument("--roll", choices=("default", "true", "false"), default="default")
    args = parser.parse_args()
    m = modelc.parse(model_text(args.size), f"net{args.size}.model")
    p = m.module.parameter_vector({})
    y0 = m.module.initial_state(p, {})
    ts = jnp.linspace(0.0, 10.0, 11)
    stepper = (METHODS[args.method] if args.roll == "default"
               else type(METHODS[args.method])(roll=args.roll == "true"))
    adjoint = {"adjoint": CheckpointAdjoint()} if args.mode == "grad" else {}

    def final(p):
        return jnp.sum(integrate(m.module.rhs, y0, ts, p, method=stepper, rtol=1e-6, atol=1e-9,
                                 jac=m.jacobian, **adjoint).ys[-1])

    f = jax.jit(jax.grad(final) if args.mode == "grad" else final)
    cpu, start = time.process_time(), time.perf_counter()
    lowered = f.lower(p)
    traced = time.perf_counter()
    compiled = lowered.compile()
    done, cpu = time.perf_counter(), time.process_time() - cpu
    hlo = compiled.as_text()
    first = time.perf_counter()
    out = jax.block_until_ready(compiled(p))
    second = time.perf_counter()
    jax.block_until_ready(compiled(p))
    end = time.perf_counter()
    print(f"{args.method} {args.mode} n={args.size} roll={args.roll}: trace {traced - start:.2f} s, "
          f"compile {done - traced:.2f} s (CPU {cpu:.2f} s), fusions {len(re.findall(r' fusion[(]', hlo))}, "
          f"loops {len(re.findall(r' while[(]', hlo))}, first call {second - first:.3f} s, "
          f"second {end - second:.3f} s, sum {float(jnp.sum(out)):.12e}")


if __name__ == "__main__":
    main()
