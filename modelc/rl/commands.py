"""The ``modelc rl`` command group: ``modelc rl train`` (and ``modelc rl info``)."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_rl_parser"]


def add_rl_parser(sub) -> None:
    """Register ``modelc rl train`` and ``modelc rl info`` on the CLI's subparsers."""
    rl = sub.add_parser("rl", help="train and inspect learned step-size policies")
    rl_sub = rl.add_subparsers(dest="rl_command", required=True, metavar="COMMAND")

    tr = rl_sub.add_parser("train", help="train a step-size policy on a model")
    tr.add_argument("file", metavar="FILE")
    tr.add_argument("--t1", type=float, required=True, help="final time of every episode")
    tr.add_argument("--range", action="append", default=[], metavar="NAME=LOW:HIGH",
                    help="uniform range of a state or parameter (repeatable)")
    tr.add_argument("--three-body", action="store_true",
                    help="equal masses at rest at random positions in the unit square "
                         "(for examples/three_body.model) instead of --range")
    tr.add_argument("--param", "-p", action="append", default=[], metavar="NAME=VALUE")
    tr.add_argument("--invariant", help="conserved observable whose drift is the error "
                                        "(default: distance to a tight reference solve)")
    tr.add_argument("--method", default="tsit5")
    tr.add_argument("--iterations", type=int, default=100)
    tr.add_argument("--batch", type=int, default=16)
    tr.add_argument("--group", type=int, default=4)
    tr.add_argument("--steps", type=int, default=2000, help="step budget of an episode")
    tr.add_argument("--rtol-range", nargs=2, type=float, default=(1e-9, 1e-5),
                    metavar=("LOW", "HIGH"))
    tr.add_argument("--cost-weight", type=float, help="w in -log10(err) - w log10(nfe)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", "-o", required=True, help="output folder")
    tr.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    tr.set_defaults(run=_train)

    info = rl_sub.add_parser("info", help="print a policy file's metadata")
    info.add_argument("policy", metavar="POLICY")
    info.set_defaults(run=_info)


def _train(args) -> int:
    import jax

    jax.config.update("jax_enable_x64", True)
    from ..api import load
    from ..cli import _assignments
    from .problems import THREE_BODY_MASSES, from_model, three_body_positions
    from .training import train

    model = load(args.file)
    params = _assignments(args.param, "--param")
    if args.three_body:
        sampler, ranges, params = three_body_positions, None, {**THREE_BODY_MASSES, **params}
    else:
        sampler, ranges = None, _ranges(args.range)
    episodes = from_model(model, args.t1, ranges=ranges, sampler=sampler,
                          invariant=args.invariant, method=args.method, params=params)
    res = train(episodes, iterations=args.iterations, batch=args.batch, group=args.group,
                steps=args.steps, rtol_range=tuple(args.rtol_range),
                cost_weight=args.cost_weight, seed=args.seed, out_dir=args.out,
                progress=args.progress)
    first, last = res.history[0]["mean_return"], res.history[-1]["mean_return"]
    print(f"{model.name}: mean return {first:+.3f} -> {last:+.3f} over {args.iterations} "
          f"updates; wrote {Path(args.out) / 'policy.npz'}")
    return 0


def _ranges(items) -> dict:
    if not items:
        raise ValueError("give --range NAME=LOW:HIGH (one or more) or --three-body")
    out = {}
    for item in items:
        name, sep, span = item.partition("=")
        lo, sep2, hi = span.partition(":")
        if not (sep and sep2):
            raise ValueError(f"--range expects NAME=LOW:HIGH, got {item!r}")
        out[name.strip()] = (float(lo), float(hi))
    return out


def _info(args) -> int:
    from .store import load_params

    params, meta = load_params(args.policy)
    size = sum(v.size for v in params.values())
    print(f"{args.policy}: {size} weights")
    for key in sorted(meta):
        print(f"  {key}: {meta[key]}")
    return 0
