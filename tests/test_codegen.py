"""Generated code: readable, safe names, and equal to the SymPy model at random points."""

from __future__ import annotations

import keyword
import subprocess
import sys

import numpy as np
import pytest
import sympy

import modelc
from modelc.api import compile_source
from modelc.codegen.names import python_names
from modelc.passes.inline import constant_values, inline_lets

EVERYTHING = """
model everything "uses every function: \\"quotes\\" and ''' stay literal"
parameter a = 0.7, b = 1.3, c = a*b
state x = 0.4, y = 0.9
let s = x^2 + y^2
der(x) = sin(x) + cos(y) + tan(x/3) + asin(x/2) + acos(x/2) + atan(y) + atan2(y, x) + sinh(x) + cosh(y) + tanh(x) + asinh(y) + acosh(1 + y^2) + atanh(x/2)
der(y) = exp(-s) + log(b) + log10(c) + sqrt(s) + abs(x - y) + sign(x - y) + min(x, y) + max(x, y) + floor(3*x) + ceil(3*y) + sech(x) + csch(y) + coth(y) + heaviside(x - y) + if(x < y and not y > 2, a, b) + 2^3^(1/2) + x^-2 + pi*t
observe o = s/(1 + a)
"""


def test_generated_rhs_equals_sympy_at_random_points():
    ir_model, _ = compile_source(EVERYTHING)
    m = modelc.parse(EVERYTHING)
    flat = inline_lets(ir_model)
    rng = np.random.default_rng(0)
    p = m.module.parameter_vector({})
    for _ in range(20):
        x, y, t = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0, 3)
        values = {"x": x, "y": y, "t": t, "a": 0.7, "b": 1.3, "c": 0.91}
        subs = {sympy.Symbol(k, real=True): v for k, v in values.items()}
        constants = constant_values(ir_model)   # hoisted by the simplify pass
        expected = [float(d.expr.xreplace(constants).xreplace(subs).evalf(30))
                    for d in flat.derivatives]
        got = np.asarray(m.module.rhs(t, np.array([x, y]), p))
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert m.doc == "uses every function: \"quotes\" and ''' stay literal"


def test_python_keywords_and_clashing_names_are_renamed():
    text = "model k\nparameter lambda = 2, jnp = 3, parameter_ = 1\nstate y = 1, given = 2\n" \
           "der(y) = -lambda*jnp*y\nder(given) = parameter_\n"
    m = modelc.parse(text)
    assert "lambda_ = parameter[0]" in m.generated_source
    sol = m.solve(t=(0, 1), points=3, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sol["y"], np.exp(-6 * sol.t), rtol=1e-8)
    np.testing.assert_allclose(sol["given"], 2 + sol.t, rtol=1e-10)


def test_python_names_are_distinct_identifiers():
    names = python_names(["jnp", "jnp_", "if", "x", "_", "__"])
    assert len(set(names.values())) == 6
    assert all(v.isidentifier() and not keyword.iskeyword(v) and v.endswith("_")
               for v in names.values())
    with pytest.raises(ValueError):
        python_names(["bad name"])


def test_generated_module_imports_on_its_own(tmp_path, examples_dir):
    out = tmp_path / "lorenz_gen.py"
    modelc.compile_to_file(examples_dir / "lorenz.model", out)
    code = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import lorenz_gen as g\n"
        "from modelc.solvers import integrate\n"
        "import jax.numpy as jnp\n"
        "p = g.parameter_vector({}); y0 = g.initial_state(p, {})\n"
        "r = integrate(g.rhs, y0, jnp.linspace(0, 1, 3), p)\n"
        "print(g.STATE_NAMES, int(r.status), 'sympy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "('x', 'y', 'z') 0 False"


def test_generated_code_is_readable(examples_dir):
    m = modelc.load(examples_dir / "lorenz.model")
    src = m.generated_source
    assert "sigma_ = parameter[0]" in src
    assert "x_ = state[0]" in src
    assert "def observables(t, state, parameter):" in src
    compile(src, "generated", "exec")
