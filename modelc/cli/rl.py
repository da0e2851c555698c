"""``modelc rl train`` and ``modelc rl info``: learned step-size policies (see docs/rl.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .assignments import UsageError, interval, number, parse_assignments
from .options import add_method_option, check_count, check_positive

__all__ = ["add_parser", "train", "info"]


def add_parser(sub) -> None:
    """Register ``modelc rl train`` and ``modelc rl info``."""
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
    add_method_option(tr, default="tsit5")
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
    tr.set_defaults(run=train)

    info_ = rl_sub.add_parser("info", help="print a policy file's metadata")
    info_.add_argument("policy", metavar="POLICY")
    info_.set_defaults(run=info)


def train(args) -> int:
    """Train a policy on episodes drawn from the model; write it to ``args.out``; 0."""
    params = parse_assignments(args.param, "--param", number)
    ranges = parse_assignments(args.range, "--range", interval, expects="NAME=LOW:HIGH")
    if not (args.three_body or ranges):
        raise UsageError("give --range NAME=LOW:HIGH (one or more) or --three-body")
    check_positive("--t1", args.t1)
    for flag, count in (("--iterations", args.iterations), ("--batch", args.batch),
                        ("--group", args.group), ("--steps", args.steps)):
        check_count(flag, count)
    for value in args.rtol_range:
        check_positive("--rtol-range", value)

    import jax

    jax.config.update("jax_enable_x64", True)
    from ..api import load
    from ..rl.problems import THREE_BODY_MASSES, from_model, three_body_positions
    from ..rl.training import train as train_policy

    model = load(args.file)
    if args.three_body:
        sampler, ranges, params = three_body_positions, None, {**THREE_BODY_MASSES, **params}
    else:
        sampler = None
    episodes = from_model(model, args.t1, ranges=ranges, sampler=sampler,
                          invariant=args.invariant, method=args.method, params=params)
    res = train_policy(episodes, iterations=args.iterations, batch=args.batch, group=args.group,
                       steps=args.steps, rtol_range=tuple(args.rtol_range),
                       cost_weight=args.cost_weight, seed=args.seed, out_dir=args.out,
                       progress=args.progress)
    first, last = res.history[0]["mean_return"], res.history[-1]["mean_return"]
    print(f"{model.name}: mean return {first:+.3f} -> {last:+.3f} over {args.iterations} "
          f"updates; wrote {Path(args.out) / 'policy.npz'}")
    return 0


def info(args) -> int:
    """Print a policy file's size and metadata; 0."""
    from ..rl.store import load_params

    params, meta = load_params(args.policy)
    size = sum(v.size for v in params.values())
    print(f"{args.policy}: {size} weights")
    for key in sorted(meta):
        print(f"  {key}: {meta[key]}")
    return 0
