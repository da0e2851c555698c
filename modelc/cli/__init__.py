"""The ``modelc`` command: check, show, compile, import, rl, fit and simulate model files.

One module per subcommand, each with ``add_parser(sub)`` (its options) and
``run(args)`` (the work, which imports what it needs only then), so
``modelc --help``, ``modelc check`` and ``modelc show`` never load JAX. The
options several commands share are in `modelc.cli.options`; every
``NAME=VALUE`` option is read by `modelc.cli.assignments.parse_assignments`.

Errors never end in a traceback: a problem in a model file prints its
``file:line:col`` with the line and a caret, any other error one ``error:``
line; the exit status is then 1 (2 for a malformed command line, as argparse
does).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings

from ..errors import ModelError, SolveError
from . import check, export_sbml, fit, import_sbml, rl, sample_search, show, simulate
from . import compile as compile_

__all__ = ["main", "entry", "build_parser", "FAST_EXIT"]

COMMANDS = (check, show, compile_, import_sbml, export_sbml, rl, fit, simulate, sample_search)
"""The subcommands in the order ``modelc --help`` lists them."""

FAST_EXIT = frozenset({"check", "show"})
"""Commands that only read files and print: `entry` ends their process without Python's
interpreter teardown, which takes 0.1 s CPU after SymPy is loaded (its module
dictionaries and caches are freed object by object)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``modelc`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="modelc", description="Compile model files to JAX and simulate them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 on errors in the input).

    ``MODELC_TRACEBACK=1`` lets an unexpected exception (a bug in modelc)
    propagate with its traceback instead of printing one ``error:`` line.
    """
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return args.run(args)
    except ModelError as err:
        print(err.render(), file=sys.stderr)
    except OSError as err:
        print(f"error: {err.filename}: {err.strerror}" if err.filename and err.strerror
              else f"error: {err}", file=sys.stderr)
    except (SolveError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # a bug: one line, not a traceback, unless asked for
        if os.environ.get("MODELC_TRACEBACK") == "1":
            raise
        print(f"error: internal error ({type(err).__name__}: {err}); please report it "
              "(MODELC_TRACEBACK=1 shows the traceback)", file=sys.stderr)
    return 1


def entry() -> None:
    """The ``modelc`` program (console script and ``python -m modelc``): `main`, then exit.

    After a `FAST_EXIT` command the output is flushed and the process ends with
    ``os._exit``: nothing is left to clean up (no JAX, no files open, no temporary
    folders), and the teardown would cost more than the check itself.
    """
    status = main()
    command = next((word for word in sys.argv[1:] if not word.startswith("-")), None)
    if command in FAST_EXIT and "jax" not in sys.modules:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):   # a closed pipe (`modelc show | head`)
                stream.flush()
        os._exit(status)
    sys.exit(status)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one ``warning:`` line (not Python's file, line and source)."""
    print(f"warning: {message}", file=file or sys.stderr)
