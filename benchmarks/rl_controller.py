"""Learned step-size policy vs the PI controller on random three-body problems.

100 held-out initial conditions (three unit masses at rest at uniform random
positions in the unit square, G = 1; numpy seed 2026, never used in training,
which draws from seed 0), integrated with Tsit5 to t = 10.  Candidates whose
reference solve (DOP853, rtol = atol = 1e-12) does not finish within 20000
steps (collisions) are replaced by the next draw; their count is printed.
For the PI controller at rtol 1e-4 ... 1e-12 and the policy at its operating
points: median and 90th-percentile relative energy error and the median rhs
evaluations (failed runs count as error = inf at their nfe), status counts,
and where each policy point lies against the PI front (the Pareto-optimal PI
points): below it when it beats one of them in both median error and median
nfe or has less error than the front interpolated log-log at its nfe.

    python benchmarks/rl_controller.py [--policy FILE] [--n 100] [--max-steps 50000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import modelc  # noqa: E402
from modelc.rl import default_policy, load  # noqa: E402
from modelc.rl.problems import THREE_BODY_MASSES, three_body_positions  # noqa: E402
from modelc.solvers import PIController, integrate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PI_TOLS = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12]
POLICY_TOLS = [1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]


def held_out(model, n: int, seed: int = 2026):
    """The first ``n`` initial states whose reference solve succeeds, the parameter
    vector, and how many candidates were drawn and failed before the ``n``-th."""
    mod = model.module
    p = mod.parameter_vector(THREE_BODY_MASSES)
    rng = np.random.default_rng(seed)
    ts = jnp.array([0.0, 10.0])
    ref = jax.jit(jax.vmap(lambda y: integrate(mod.rhs, y, ts, p, method="dopri8", rtol=1e-12,
                                               atol=1e-12, max_steps=20000).status))
    keep, failed = [], 0
    while len(keep) < n:
        values = three_body_positions(rng, n)
        ys = np.stack([np.asarray(mod.initial_state(p, {k: float(v[i]) for k, v in values.items()}))
                       for i in range(n)])
        for y, ok in zip(ys, np.asarray(ref(jnp.asarray(ys))) == 0):
            if len(keep) == n:
                break
            if ok:
                keep.append(y)
            else:
                failed += 1
    return jnp.asarray(np.stack(keep)), p, failed


_RUNNERS: dict = {}


def run(model, ys, p, controller, rtol, max_steps):
    """Energy errors, nfe and status of all ``ys`` at one tolerance (atol = rtol)."""
    key = (controller, max_steps)
    if key not in _RUNNERS:
        _RUNNERS[key] = _runner(model, p, controller, max_steps)
    err, nfe, status = _RUNNERS[key](ys, rtol)
    err = np.where(np.asarray(status) == 0, np.asarray(err), np.inf)
    return err, np.asarray(nfe), np.asarray(status)


def _runner(model, p, controller, max_steps):
    mod = model.module
    k = model.observable_names.index("energy")
    ts = jnp.array([0.0, 10.0])

    def one(y, rtol):
        r = integrate(mod.rhs, y, ts, p, rtol=rtol, atol=rtol, max_steps=max_steps,
                      controller=controller)
        e0 = mod.observables(0.0, y, p)[k]
        e1 = mod.observables(10.0, r.ys[-1], p)[k]
        return jnp.abs((e1 - e0) / e0), r.nfe, r.status

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def summary(err, nfe, status):
    """Median and p90 error (sample quantiles, so failed runs count as inf), median
    nfe, status counts."""
    counts = np.bincount(status, minlength=4)
    q = lambda x, pct: np.percentile(x, pct, method="inverted_cdf")  # noqa: E731
    return (q(err, 50), q(err, 90), q(nfe, 50),
            f"{counts[0]} ok / {counts[1]} max_steps / {counts[2] + counts[3]} other")


def pareto(points):
    """The PI points no other PI point beats in both nfe and error, by nfe."""
    pts = sorted((n, e) for n, e in points if np.isfinite(e))
    return [(n, e) for n, e in pts if not any(m <= n and f < e for m, f in pts)]


def compare(front, nfe, err):
    """Where a policy point lies against the PI front: the PI points it beats in both
    error and nfe, the PI point beating it in both, or the front's error at its nfe."""
    beats = [n for n, e in front if nfe <= n and err <= e]
    beaten = [n for n, e in front if n <= nfe and e <= err]
    if beaten:
        return "above (a PI point has less error and fewer nfe)", False
    if beats:
        return f"below: less error, fewer nfe than PI at {len(beats)} point(s)", True
    xs = np.log10([n for n, _ in front])
    if xs[0] <= np.log10(nfe) <= xs[-1]:
        ref = 10 ** np.interp(np.log10(nfe), xs, np.log10([e for _, e in front]))
        return f"PI front {ref:.2e} at this nfe", bool(err < ref)
    return "outside the PI front's range", False


def main() -> None:
    """Print the Pareto table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", help="policy .npz (default: the shipped controller='rl')")
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--max-steps", type=int, default=50000)
    a = ap.parse_args()
    model = modelc.load(ROOT / "examples" / "three_body.model")
    policy = load(a.policy) if a.policy else default_policy()
    ys, p, failed = held_out(model, a.n)
    print(f"{a.n} held-out ICs ({failed} of the first {a.n + failed} candidates skipped: no "
          f"reference within 20000 DOP853 steps); Tsit5 to t = 10, max_steps {a.max_steps}")
    print(f"policy: {policy!r} {policy.info.get('iteration', '')}")
    print("| controller | rtol | median rel. energy error | p90 | median nfe | status | "
          "against the PI front |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    front = []
    for rtol in PI_TOLS:
        med, p90, nfe, st = summary(*run(model, ys, p, PIController(), rtol, a.max_steps))
        front.append((nfe, med))
        print(f"| PI | {rtol:.0e} | {med:.2e} | {p90:.2e} | {nfe:.0f} | {st} | |", flush=True)
    wins = 0
    front = pareto(front)
    for rtol in POLICY_TOLS:
        med, p90, nfe, st = summary(*run(model, ys, p, policy, rtol, a.max_steps))
        mark, below = compare(front, nfe, med)
        wins += below
        print(f"| policy | {rtol:.0e} | {med:.2e} | {p90:.2e} | {nfe:.0f} | {st} | {mark} |",
              flush=True)
    print(f"policy operating points below the PI front: {wins} of {len(POLICY_TOLS)}")


if __name__ == "__main__":
    main()
