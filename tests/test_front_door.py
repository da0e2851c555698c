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
