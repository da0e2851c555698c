"""The front door: ``modelc --help``, ``check`` and ``show`` load no JAX; float64 stays the default.

Each check runs in a fresh interpreter, since the test session has long since
imported JAX.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FRONT_DOOR = """
import contextlib, io, sys
from modelc.cli import main

with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
    print("help", "jax" in sys.modules, file=sys.stderr)
    codes = [main(["check", "examples/lorenz.model"]), main(["show", "examples/lorenz.model"]),
             main(["check", "examples/kuramoto_sivashinsky.model"])]  # a spectral field model
print(codes, "jax" in sys.modules)
print(sorted(m for m in ("networkx", "numpy", "scipy") if m in sys.modules))

import modelc.solvers  # the first numeric import turns float64 on
import jax.numpy as jnp

print(jnp.asarray(1.0).dtype)
"""

LOAD_AND_SOLVE = """
import modelc

m = modelc.load("examples/lorenz.model")
print(m.solve(t=(0.0, 0.1), points=3).y.dtype)
"""


def _run(code: str) -> tuple[list[str], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("MODELC_X64", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split("\n"), done.stderr


def test_help_check_and_show_import_no_jax_and_the_solvers_turn_on_float64():
    out, err = _run(FRONT_DOOR)
    assert "help False" in err
    assert out[0] == "[0, 0, 0] False"
    assert out[1] == "[]"  # nor networkx or numpy (0.1-0.2 s each on a 2-core machine)
    assert out[2] == "float64"


@pytest.mark.slow
def test_load_then_solve_is_float64_in_a_fresh_process():
    out, _ = _run(LOAD_AND_SOLVE)
    assert out[0] == "float64"


HELP_ONLY = """
import contextlib, io, sys
from modelc.cli import main

with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(["--help"])
    except SystemExit:
        pass
print(sorted(m for m in ("sympy", "lark", "mpmath", "jax", "numpy") if m in sys.modules))
"""


def test_help_imports_neither_sympy_nor_lark():
    out, _ = _run(HELP_ONLY)
    assert out[0] == "[]"


def _command(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "modelc", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_check_ends_without_teardown_and_keeps_its_output_and_status(tmp_path):
    """`modelc.cli.entry` ends ``check`` by ``os._exit``: what was printed and the
    exit status must survive it."""
    done = _command("check", "examples/lorenz.model")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "examples/lorenz.model: ok (3 states, 3 parameters, 0 observables)\n"
    bad = tmp_path / "bad.model"
    bad.write_text("state x = 1\nder(x) = -k*x\n", encoding="utf-8")
    done = _command("check", "examples/lorenz.model", str(bad))
    assert done.returncode == 1
    assert done.stdout.startswith("examples/lorenz.model: ok")
    assert f"{bad}:2:" in done.stderr and "k" in done.stderr
    shown = _command("show", "examples/lorenz.model")
    assert shown.returncode == 0 and "dx/dt = sigma*(-x + y)" in shown.stdout, shown.stderr
