"""Options shared by several subcommands, and the checks of their values.

argparse reads the types; the checks here refuse what a type cannot (a NaN
time, ``--points 0``, a negative tolerance) with a `UsageError`, which the CLI
prints as one ``error:`` line and exits 1 — the same rules the file's
``simulate`` line follows (see `modelc.frontend.check`).
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path

from ..methods import ALL_METHOD_NAMES, method_help
from .assignments import UsageError

__all__ = ["add_split_option", "add_simplify_options", "add_method_option",
           "add_model_inputs", "read_source", "check_times", "check_positive",
           "check_count", "check_method", "check_solver_options"]


def add_split_option(command) -> None:
    """``--split auto|diagonal|none``: the semilinear split for exponential methods."""
    command.add_argument("--split", choices=["auto", "diagonal", "none"], default="auto",
                         help="semilinear split rhs = L*u + N for exponential methods "
                              "(default auto: the largest safe linear part)")


def add_simplify_options(command) -> None:
    """``--no-simplify`` and ``--assume-positive NAME`` (repeatable)."""
    command.add_argument("--no-simplify", dest="simplify", action="store_false",
                         help="compile the equations as written (no e-graph simplification)")
    command.add_argument("--assume-positive", action="append", default=[], metavar="NAME",
                         help="treat this parameter or state as positive when simplifying "
                              "(repeatable)")


def add_method_option(command, default: str | None = None) -> None:
    """``--method NAME`` with every method's name in its help."""
    command.add_argument("--method", default=default, help="one of " + method_help())


def add_model_inputs(command) -> None:
    """``--y0 NAME=VALUE`` and ``--external NAME=MODULE:FUNCTION`` (both repeatable)."""
    command.add_argument("--y0", action="append", default=[], metavar="NAME=VALUE",
                         help="initial value of a state; an array state's from a file: "
                              "NAME=@FILE.npy (or @FILE.npz:KEY)")
    command.add_argument("--external", action="append", default=[],
                         metavar="NAME=MODULE:FUNCTION",
                         help="bind the model's external NAME to a Python function: MODULE is "
                              "an importable module or a .py file (repeatable)")


def read_source(name: str) -> str:
    """The text of the model file ``name``; a `UsageError` naming it when it cannot be read.

    An SBML file (``.xml``, ``.sbml``) is translated to model text first
    (`modelc.io.sbml`); its errors are `ModelError`s naming the XML line."""
    if Path(name).suffix.lower() in (".xml", ".sbml"):
        from ..io.sbml import SbmlSupportMissing, sbml_to_model_text

        try:
            return sbml_to_model_text(name)[0]
        except SbmlSupportMissing as err:
            raise UsageError(str(err)) from None
        except OSError as err:
            raise UsageError(f"{name}: {err.strerror or err}") from None
    try:
        return Path(name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name}: not a UTF-8 text file") from None
    except OSError as err:
        raise UsageError(f"{name}: {err.strerror or err}") from None


def check_times(flag: str, times) -> None:
    """Refuse a non-finite time, or an empty interval ``T0 = T1``."""
    if times is None:
        return
    for label, value in zip(("start", "end"), times):
        if not math.isfinite(value):
            raise UsageError(f"{flag}: the {label} time is {value}; times must be finite numbers")
    if times[0] == times[1]:
        raise UsageError(f"{flag}: the time interval [{times[0]:g}, {times[1]:g}] is empty "
                         "(start and end must differ)")


def check_positive(flag: str, value: float | None) -> None:
    """Refuse a value (a tolerance, a step) that is not a positive finite number."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"{flag} must be a positive finite number, got {value:g}")


def check_count(flag: str, value: int | None, least: int = 1) -> None:
    """Refuse a count below ``least`` (``--points`` needs 2, ``--steps`` 1)."""
    if value is not None and value < least:
        raise UsageError(f"{flag} must be a whole number of at least {least}, got {value}")


def check_method(method: str | None) -> None:
    """Refuse an unknown ``--method`` before anything is compiled; suggest the close name."""
    if method is None or method in ALL_METHOD_NAMES:
        return
    close = difflib.get_close_matches(method, ALL_METHOD_NAMES, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "see modelc simulate --help"
    raise UsageError(f"--method {method}: no such method; {hint}")


def check_solver_options(args) -> None:
    """The checks every solving command shares: method, tolerances, step, step budget."""
    check_method(args.method)
    check_positive("--rtol", args.rtol)
    check_positive("--atol", args.atol)
    check_positive("--dt", getattr(args, "dt", None))
    check_count("--max-steps", getattr(args, "max_steps", None))
    check_count("--steps", getattr(args, "steps", None))
