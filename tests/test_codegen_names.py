"""Generated code keeps the model's names apart from its own by construction.

A model whose parameters, states, lets and observables are named after every
identifier that generated modules define, import or use (collected with `ast`
from modules of each kind) solves exactly as the same model under plain names;
and non-finite constants print as ``jnp.inf``/``jnp.nan``, never as a name.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace

import numpy as np
import pytest
import sympy

import modelc
from modelc.api import compile_source
from modelc.codegen import UnsupportedExpression, generate_module
from modelc.codegen.names import IDENTIFIER
from modelc.codegen.printer import JaxPrinter

# The language's reserved words (docs/language.md): never a model's name.
RESERVED = {"t", "pi", "I", "model", "parameter", "state", "species", "let", "der", "observe",
            "reaction", "domain", "field", "boundary", "external", "simulate"}


def identifiers(source: str) -> set[str]:
    """Every identifier a module binds, imports, reads or takes as an argument."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, ast.FunctionDef):
            found.add(node.name)
        elif isinstance(node, ast.alias):
            found.add(node.asname or node.name.split(".")[0])
    return found


def scalar_text(names: list[str]) -> str:
    """Four coupled states with lets, a matrix split, a nonlinearity and a factor that
    the simplify pass hoists; every parameter appears beside a state."""
    s, lets, obs, ps = names[:4], names[4:6], names[6], names[7:]
    groups = [ps[j::4] for j in range(4)]
    lines = ["model names", "parameter " + ", ".join(f"{p} = {0.5 + 0.01 * i}" for i, p in enumerate(ps)),
             "state " + ", ".join(f"{x} = {1.0 - 0.2 * i}" for i, x in enumerate(s)),
             f"let {lets[0]} = sin({s[0]})*{s[1]}", f"let {lets[1]} = {lets[0]}^2 + {s[2]}"]
    decay = f"exp(-0.01*({' + '.join(ps)}))"
    for j, x in enumerate(s):
        lines.append(f"der({x}) = -(1 + {groups[j][0]}^2)*{x} + 0.1*{s[(j + 1) % 4]} "
                     f"+ 0.001*sin({x}*({' + '.join(groups[j])})) + 0.01*{decay}*{lets[j % 2]}")
    lines.append(f"observe {obs} = {s[0]} + {lets[1]}")
    return "\n".join(lines) + "\n"


def spectral_text(names: list[str]) -> str:
    """A periodic spectral field (Fourier split, nonlinear_hat) with every parameter in it."""
    u, x, obs, ps = names[0], names[1], names[2], names[3:]
    params = ", ".join(f"{p} = {0.001 * (i + 1)}" for i, p in enumerate(ps))
    return (f"model names\nparameter {params}\ndomain {x} = [0, 2*pi], periodic, points = 16\n"
            f"field {u} = 1 + 0.5*cos({x})\n"
            f"der({u}) = 0.1*diff({u}, {x}, 2) - {u}*diff({u}, {x})*(1 + {' + '.join(ps)}) "
            f"+ {ps[0]}*{u}^2\nobserve {obs} = integral({u})\n")


def stencil_text(names: list[str]) -> str:
    """A finite-difference field with a scalar state beside it (banded split, ghost pads)."""
    u, x, s, obs, ps = names[0], names[1], names[2], names[3], names[4:]
    params = ", ".join(f"{p} = {0.001 * (i + 1)}" for i, p in enumerate(ps))
    return (f"model names\nparameter {params}\nstate {s} = 1\ndomain {x} = [0, 1], points = 17\n"
            f"field {u} = sin(pi*{x})\nboundary {u} = 0 at {x} = 0\nboundary {u} = 0 at {x} = 1\n"
            f"der({u}) = 0.1*diff({u}, {x}, 2) + {s}*diff({u}, {x})*({' + '.join(ps)})\n"
            f"der({s}) = -{s}*integral({u}^2)\nobserve {obs} = integral({u})\n")


def array_text(names: list[str]) -> str:
    """An array state driven by an external, with a scalar split and every parameter used."""
    x, eps, ps = names[0], names[1], names[2:]
    params = ", ".join(f"{p} = {0.001 * (i + 1)}" for i, p in enumerate(ps))
    return (f"model names\nparameter {params}\nexternal {eps}({x}, t)\nstate {x}: array\n"
            f"der({x}) = -(1 + {' + '.join(ps)})*{x} + {eps}({x}, t)*{ps[0]}\n")


KINDS = {"scalar": scalar_text, "spectral": spectral_text, "stencil": stencil_text, "array": array_text}
PLAIN = [f"v{i}" for i in range(400)]


@pytest.fixture(scope="module")
def internal_names() -> list[str]:
    """Every identifier of the generated modules of all kinds (under plain names), as
    names a model may declare; each plain name's printed form (``v0_``) left out."""
    found = set()
    for build in KINDS.values():
        _, source = compile_source(build(PLAIN[:40]))
        found |= identifiers(source)
    return sorted(n for n in found if IDENTIFIER.match(n) and n not in RESERVED
                  and n.rstrip("_") not in PLAIN)


@pytest.mark.slow
def test_the_collected_names_include_those_that_used_to_crash(internal_names):
    assert {"with_constants", "N_PARAMETERS", "JACOBIAN_ROWS", "JACOBIAN_COLS", "LINEAR_ROWS",
            "LINEAR_COLS", "fieldops", "coefficients", "_dtype", "jnp", "given",
            "externals", "_shaped", "rhs", "_pad0", "_c0"} <= set(internal_names)


def _solve(text, method, **kwargs):
    m = modelc.parse(text, cache_modules=False)
    sol = m.solve(t=(0, 1), points=5, method=method, rtol=1e-10, atol=1e-10, **kwargs)
    return m, np.column_stack([np.asarray(sol[name]).reshape(5, -1) for name in m.state_names])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["tsit5", "rodas5", "etdrk4"])
def test_scalar_model_named_after_generated_identifiers_solves_as_plain(internal_names, method):
    names = internal_names
    m, named = _solve(scalar_text(names), method)
    _, plain = _solve(scalar_text(PLAIN[:len(names)]), method)
    assert set(identifiers(m.generated_source)) >= {f"{n}_" for n in names[:6] + names[7:]}
    np.testing.assert_allclose(named, plain, rtol=1e-8, atol=1e-12)
    assert np.all(np.isfinite(named))


@pytest.mark.slow
@pytest.mark.parametrize("kind, method", [("spectral", "etdrk4"), ("spectral", "tsit5"),
                                          ("stencil", "rodas5"), ("stencil", "tsit5")])
def test_field_model_named_after_generated_identifiers_solves_as_plain(internal_names, kind, method):
    build = KINDS[kind]
    _, named = _solve(build(internal_names), method)
    _, plain = _solve(build(PLAIN[:len(internal_names)]), method)
    np.testing.assert_allclose(named, plain, rtol=1e-8, atol=1e-12)
    assert np.all(np.isfinite(named))


@pytest.mark.slow
@pytest.mark.parametrize("method", ["tsit5", "etdrk4"])
def test_array_model_named_after_generated_identifiers_solves_as_plain(internal_names, method):
    names = internal_names
    y0 = np.linspace(0.5, 1.5, 6).reshape(3, 2)

    def run(names):
        return _solve(array_text(names), method, y0={names[0]: y0},
                      externals={names[1]: lambda x, t: jnp_sin(x) * (1 + t)})[1]

    np.testing.assert_allclose(run(names), run(PLAIN[:len(names)]), rtol=1e-8, atol=1e-12)


# The names that crashed the solve (issue #20), in small models for the default suite:
# every function of the generated module is evaluated (a clash fails in Python, before JAX
# traces anything) and compared with the same model under plain names.
CRASHED = ["with_constants", "N_PARAMETERS", "JACOBIAN_ROWS", "JACOBIAN_COLS", "LINEAR_ROWS",
           "LINEAR_COLS", "inf", "jnp", "given", "rhs", "_c0", "nonlinear"]
FIELD_CRASHED = ["u", "x", "w", "fieldops", "coefficients", "_dtype", "_w", "_h_x", "_L_x", "STATE_LAYOUT"]


def evaluate(module, state) -> list:
    """The values of every function a generated module defines, at ``state`` and t = 0.3
    (traced once by `jax.jit`: cheaper than evaluating op by op)."""
    import jax

    def values(state):
        p = module.parameter_vector({})
        out = [p, module.initial_state(p, {})]
        out += [getattr(module, name)(0.3, state, p)
                for name in ("rhs", "observables", "jacobian", "nonlinear", "linear_apply")
                if hasattr(module, name)]
        out += [getattr(module, name)(p) for name in ("with_constants", "grid") if hasattr(module, name)]
        if hasattr(module, "linear_operator"):
            out.append(module.linear_operator(0.3, p))
        if hasattr(module, "nonlinear_hat"):
            out.append(module.nonlinear_hat(0.3, module.forward(state), p))
        return out

    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(jax.jit(values)(state))]


@pytest.mark.parametrize("kind, names", [("scalar", CRASHED), ("spectral", FIELD_CRASHED)])
def test_names_that_crashed_the_solve_evaluate_as_plain_names(kind, names):
    named = modelc.parse(KINDS[kind](names), cache_modules=False).module
    plain = modelc.parse(KINDS[kind](PLAIN[:len(names)]), cache_modules=False).module
    state = np.asarray(plain.initial_state(plain.parameter_vector({}), {})) * 1.1
    for a, b in zip(evaluate(named, state), evaluate(plain, state), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def jnp_sin(x):
    """sin from jax.numpy (imported late: only the tests that call it need JAX here)."""
    import jax.numpy as jnp

    return jnp.sin(x)


# The literal 1e999 is refused where it is written (tests/frontend); an exact 10^400 (how
# the SBML importer writes infinity) is kept exact and rounds to inf only when printed.
@pytest.mark.parametrize("declaration", [
    "parameter a = 10^400\nstate y = 1\nder(y) = -y/a",          # a default
    "parameter a = 1\nstate y = 10^400\nder(y) = -a*y*0",        # an initial value
    "parameter inf = 3, a = 10^400\nstate y = 1\nder(y) = -y/a + 0*inf",  # a name `inf` beside
])
def test_non_finite_constants_print_as_jnp_inf(declaration):
    _, source = compile_source(f"model k\n{declaration}\n", simplify=False)
    assert "jnp.inf" in source
    assert not re.search(r"(?<![.'\w])inf(?![\w'])", source)  # only jnp.inf, 'inf' and inf_
    m = modelc.parse(f"model k\n{declaration}\n", cache_modules=False, simplify=False)
    values = np.concatenate([np.asarray(m.module.parameter_vector({})),
                             np.asarray(m.module.initial_state(m.module.parameter_vector({}), {}))])
    assert np.isinf(values).any()
    if "inf = 3" in declaration:
        assert float(m.module.parameter_vector({})[0]) == 3.0


def test_non_finite_domain_bound_prints_as_jnp_inf():
    text = ("model k\ndomain x = [0, 10^400], points = 9\nfield u = 0\nboundary u = 0 at x = 0\n"
            "boundary u = 0 at x = 10^400\nder(u) = diff(u, x, 2)\n")
    _, source = compile_source(text, simplify=False)
    assert "fieldops.coordinate(0.0, jnp.inf" in source
    compile(source, "generated", "exec")


def test_printer_numbers_are_never_bare_names():
    printer = JaxPrinter({})
    cases = {sympy.Float("1e999"): "jnp.inf", -sympy.Float("1e999"): "-jnp.inf", sympy.oo: "jnp.inf",
             -sympy.oo: "-jnp.inf", sympy.nan: "jnp.nan", sympy.Integer(10) ** 400: "jnp.inf",
             sympy.Rational(1, 10 ** 400): "0.0", sympy.Rational(8, 3): "8/3", sympy.Integer(3): "3.0"}
    for expr, text in cases.items():
        assert printer.doprint(expr) == text


def test_unsupported_expression_falls_back_to_jacfwd():
    y = sympy.Symbol("y", real=True)
    for expr in (sympy.zoo * y, sympy.Derivative(sympy.Mod(y, 1), y), sympy.Function("f")(y)):
        with pytest.raises(UnsupportedExpression):
            JaxPrinter({"y": "y_"}).doprint(expr)
    # Mod(y, 1) prints (jnp.mod) but its derivative does not: the Jacobian is jax.jacfwd's.
    model, _ = compile_source("model k\nparameter a = 2\nstate y = 1\nder(y) = -a*y\n")
    deriv = model.derivatives[0]
    odd = replace(model, derivatives=(replace(deriv, expr=deriv.expr + sympy.Mod(y, 1)),))
    source = generate_module(odd)
    assert "jax.jacfwd(rhs, argnums=1)" in source
    namespace: dict = {}
    exec(compile(source, "generated", "exec"), namespace)  # noqa: S102 (our own generated code)
    p = namespace["parameter_vector"]({})
    state = np.array([0.3])
    np.testing.assert_allclose(namespace["jacobian"](0.0, state, p), [[-2.0 + 1.0]], rtol=1e-12)
