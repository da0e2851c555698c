"""Where the compile time of an event model goes: the bouncing ball compiled with each piece
of the event path taken out in turn, against the same model without the event.

Run with ``python benchmarks/events_compile.py [--repeats 5]``. Each row is the median of
``repeats`` fresh trace + XLA compiles (``jax.clear_caches()`` before each), the variants
interleaved in every round: wall-clock seconds, the growth over the model without the
event (the acceptance of issue 17 is at most +30%), the CPU seconds of this process (all
threads; steadier than wall-clock on a loaded machine) and their growth, and the fusions
(kernels XLA emits and compiles one by one) in the optimized program. The pieces are replaced by stand-ins that keep
the shapes but do not compute the right answer (the solutions are not checked here):

* ``no location``: the root finder (``event_location.locate``) returns the step's end;
* ``no rounds``: the events' rounds (``EventSpec.rounds``) assign nothing;
* ``no restart``: the stepper is not restarted after the events (``Loop.restart``);
* ``select, not cond``: the ``lax.cond`` between a step with and without events replaced by
  computing both and selecting (what that costs at run time is not measured here).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time

import jax
import jax.numpy as jnp
from jax import lax

import modelc
import modelc.solvers.events as event_module
from events import BALL, ATOL, RTOL
from modelc.solvers.loop import Loop

_ORIGINAL = (event_module.locate, event_module.EventSpec.rounds, Loop.restart,
             event_module.EventSpec.after_step)


def _no_location(functions, loop, args, value, span, ends, changed):
    return jnp.ones((), loop.dtype), jnp.any(changed), jnp.argmax(changed)


def _no_rounds(self, loop, args, t, y, ev):
    return y, ev, jnp.asarray(0, jnp.int32), jnp.asarray(False)


def _no_restart(self, args, sc, rows, t, y):
    return sc, rows, 0


def _select_after_step(self, loop, args, grid, carry, acc, record, *rest):
    real = lax.cond

    def both(pred, a, b):
        return jax.tree_util.tree_map(lambda x, y: jnp.where(pred, x, y), a(), b())

    event_module.lax.cond = both
    try:
        return _ORIGINAL[3](self, loop, args, grid, carry, acc, record, *rest)
    finally:
        event_module.lax.cond = real


VARIANTS = {
    "with the event": {},
    "no location": {"locate": _no_location},
    "no rounds": {"rounds": _no_rounds},
    "no restart": {"restart": _no_restart},
    "select, not cond": {"after_step": _select_after_step},
}


def _install(patch: dict):
    locate, rounds, restart, after = _ORIGINAL
    event_module.locate = patch.get("locate", locate)
    event_module.EventSpec.rounds = patch.get("rounds", rounds)
    Loop.restart = patch.get("restart", restart)
    event_module.EventSpec.after_step = patch.get("after_step", after)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _compile_seconds(model, ts):
    """``(wall s, CPU s, fusions)`` of one fresh trace + compile."""
    jax.clear_caches()
    fn = jax.jit(lambda: model.solver(method="tsit5", rtol=RTOL, atol=ATOL)({}, {}, ts))
    start, cpu = time.perf_counter(), _cpu()
    compiled = fn.lower().compile()
    wall, cpu = time.perf_counter() - start, _cpu() - cpu
    return wall, cpu, compiled.as_text().count(" fusion(")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    ball = modelc.parse(BALL, "ball.model", cache_modules=False)
    free = modelc.parse(BALL.replace("event bounce when h < 0: v = -e*v, h = 0", ""), "free.model",
                        cache_modules=False)
    ts = jnp.array([0.0, 20.0])
    times = {"without the event": []} | {name: [] for name in VARIANTS}
    try:
        for _ in range(args.repeats):
            _install({})
            times["without the event"].append(_compile_seconds(free, ts))
            for name, patch in VARIANTS.items():
                _install(patch)
                times[name].append(_compile_seconds(ball, ts))
    finally:
        _install({})
    def med(values, k):
        return statistics.median(v[k] for v in values)

    base = times["without the event"]
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}; bouncing ball, tsit5, rtol {RTOL}; "
          f"median of {args.repeats} fresh compiles each, interleaved")
    for name, values in times.items():
        wall, cpu = med(values, 0), med(values, 1)
        print(f"{name:20s} {wall:7.2f} s   growth {100 * (wall / med(base, 0) - 1):+5.0f}%   "
              f"CPU {cpu:6.2f} s   growth {100 * (cpu / med(base, 1) - 1):+5.0f}%   "
              f"fusions {values[0][2]}")


if __name__ == "__main__":
    sys.exit(main())
