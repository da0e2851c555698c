"""The semilinear split pass: exactness (L u + N == f at random points), the kind
chosen, the user override, and solving split models with exponential integrators."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc.errors import SolveError
from modelc.frontend.parser import parse_source
from modelc.passes.split import split_semilinear
from modelc.passes.verify import verify

jax.config.update("jax_enable_x64", True)

COUPLED = """model coupled
parameter eps = 0.01
parameter k = 2
parameter p = 1
state a = 0.1
state b = 0.2
state c = 0.3
let z = -2*a
der(a) = eps*(b - 2*a) + a - a^3
der(b) = eps*(a + c - 2*b) + b*(1 - b^2) + k*sin(t)
der(c) = -eps*c + z*c + a^k + b^p
simulate t = [0, 1]
"""

DIAGONAL = """model diag
parameter d = 50
state u = 1
state v = 0.5
der(u) = -d*u + u*v
der(v) = -(d + 1)*(v - 1) + cos(t)*u^2
simulate t = [0, 1]
"""

SCALAR = """model diffusion_like
parameter b0 = 0.5
state x = 1
state y = -1
der(x) = -(b0 + 10*t)*x + sin(y) + 0.3*y
der(y) = -(b0 + 10*t)*y + x^2
simulate t = [0, 1]
"""

NONE = """model quad
state x = 1
der(x) = -x^2
simulate t = [0, 1]
"""


def _random_check(m, seed=0):
    """max |L u + N - f| at random (t, u, parameter) points, relative to |f|."""
    rng = np.random.default_rng(seed)
    mod = m.module
    worst = 0.0
    for _ in range(5):
        t = float(rng.uniform(-1, 2))
        u = jnp.asarray(rng.uniform(0.2, 2.0, len(m.state_names)))
        p = jnp.asarray(rng.uniform(0.5, 3.0, len(m.param_names)))
        lin = mod.linear_operator(t, p)
        lu = {"diagonal": lambda: lin * u, "matrix": lambda: lin @ u,
              "scalar": lambda: lin * u}[mod.LINEAR_KIND]()
        f = mod.rhs(t, u, p)
        worst = max(worst, float(jnp.max(jnp.abs(lu + mod.nonlinear(t, u, p) - f))
                                 / (1 + jnp.max(jnp.abs(f)))))
    return worst


@pytest.mark.parametrize("text,kind", [(COUPLED, "matrix"), (DIAGONAL, "diagonal"),
                                       (SCALAR, "scalar")])
def test_split_is_exact_at_random_points(text, kind):
    """The generated L and N add up to the rhs (parameters drawn at random too)."""
    m = modelc.parse(text, cache_modules=False)
    assert m.module.LINEAR_KIND == kind
    assert _random_check(m) < 1e-13


def test_split_keeps_structure_nonlinear():
    """x^p with a parameter p (default 1) and products with states stay in N."""
    info = split_semilinear(parse_source(COUPLED, "c")).split
    lin = {(i, j) for i, j, _ in info.entries}
    assert (2, 1) not in lin and (2, 0) not in lin  # b^p, a^k, z*c (z = -2a)
    assert info.kind == "matrix" and info.constant


def test_split_pass_is_pure_and_verified():
    """The pass returns a new model that still verifies; the input is unchanged."""
    model = parse_source(DIAGONAL, "d")
    out = split_semilinear(model)
    assert model.split is None and out.split.kind == "diagonal"
    verify(out)


def test_split_modes():
    """'diagonal' moves off-diagonal terms to N; 'none' and no linear part give no split."""
    model = parse_source(COUPLED, "c")
    diag = split_semilinear(model, "diagonal").split
    assert diag.kind == "diagonal" and all(i == j for i, j, _ in diag.entries)
    assert split_semilinear(model, "none").split is None
    assert split_semilinear(parse_source(NONE, "n")).split is None
    m = modelc.parse(COUPLED, cache_modules=False, split="diagonal")
    assert m.split.kind == "diagonal" and _random_check(m) < 1e-13


def test_load_split_false_disables_split_methods():
    """split=False: no m.split and a clear error for split methods; exprb still works."""
    m = modelc.parse(DIAGONAL, cache_modules=False, split=False)
    assert m.split is None
    with pytest.raises(SolveError, match="no linear part"):
        m.solve(method="etdrk4")
    sol = m.solve(method="exprb32", points=3)
    assert sol.status == 0


def test_split_model_solves_with_etdrk4():
    """m.solve(method='etdrk4') agrees with tsit5 at tight tolerance (time-dependent
    scalar L(t); the dense-matrix case also runs in the slow tests)."""
    for text in (SCALAR,):
        m = modelc.parse(text, cache_modules=False)
        ref = m.solve(method="tsit5", rtol=1e-11, atol=1e-12, points=5)
        sol = m.solve(method="etdrk4", dt0=1e-2, points=5)
        assert sol.stats["nfe"] == 4 * sol.stats["steps"]
        assert np.abs(sol.y - ref.y).max() < 1e-8
