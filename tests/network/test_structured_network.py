"""Structured network code (issue 16 items 1-2): the same rhs and Jacobian as the scalar
code, a program whose size does not grow with the reactions, and rate templates."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from network_models import KINDS, mass_action_text, network_text

from modelc import api, cache
from modelc.codegen.scalar import generate_scalar_module
from modelc.passes.network_form import STRUCTURED_MIN_REACTIONS, use_structured
from modelc.passes.templates import find_templates


def _modules(text, tmp_path, name, scalar=True):
    """The structured module of ``text`` and (with ``scalar``) the scalar module of the same IR."""
    model, source = api.compile_source(text, f"{name}.model")
    assert use_structured(model)
    assert "NETWORK_STRUCTURED = True" in source
    paths = [tmp_path / f"{name}_structured.py", tmp_path / f"{name}_scalar.py"]
    paths[0].write_text(source)
    if not scalar:
        return cache.import_module_file(paths[0], f"{name}_0")
    paths[1].write_text(generate_scalar_module(model))
    return [cache.import_module_file(p, f"{name}_{i}") for i, p in enumerate(paths)]


@pytest.mark.parametrize("n, m, seed", [(6, 30, 0), pytest.param(15, 40, 1, marks=pytest.mark.slow),
                                        pytest.param(40, 90, 2, marks=pytest.mark.slow)])
def test_structured_rhs_and_jacobian_equal_scalar(n, m, seed, tmp_path):
    structured, scalar = _modules(network_text(n, m, seed), tmp_path, f"rnd{n}")
    rng = np.random.default_rng(seed + 10)
    p = structured.with_constants(structured.parameter_vector({}))
    for t in (0.0, 1.3):
        y = jnp.asarray(rng.uniform(0.05, 3.0, n))
        f = np.asarray(structured.rhs(t, y, p))
        np.testing.assert_allclose(f, scalar.rhs(t, y, p), rtol=1e-12, atol=1e-12)
        jac = np.asarray(structured.jacobian(t, y, p))
        np.testing.assert_allclose(jac, scalar.jacobian(t, y, p), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(jac, jax.jacfwd(structured.rhs, argnums=1)(t, y, p),
                                   rtol=1e-12, atol=1e-12)
        dense = np.zeros((n, n))
        dense[structured.JACOBIAN_ROWS, structured.JACOBIAN_COLS] = structured.jacobian_values(t, y, p)
        np.testing.assert_array_equal(dense, jac)   # the pattern holds every nonzero


def test_float32_structured(tmp_path):
    structured = _modules(network_text(8, 30, 3), tmp_path, "f32", scalar=False)
    p = structured.parameter_vector({})
    y = jnp.linspace(0.2, 1.5, 8)
    f32 = structured.rhs(jnp.float32(0.5), y.astype(jnp.float32), p.astype(jnp.float32))
    assert f32.dtype == jnp.float32
    np.testing.assert_allclose(f32, structured.rhs(0.5, y, p), rtol=2e-5, atol=1e-5)
    assert structured.jacobian_values(0.5, y.astype(jnp.float32), p.astype(jnp.float32)).dtype == jnp.float32


def _equations(module, n):
    p = module.parameter_vector({})
    y = jnp.ones(n)
    return (len(jax.make_jaxpr(module.rhs)(0.0, y, p).eqns),
            len(jax.make_jaxpr(module.jacobian_values)(0.0, y, p).eqns))


def test_program_size_does_not_grow_with_reactions(tmp_path):
    small = _modules(mass_action_text(25), tmp_path, "n25", scalar=False)     # 50 reactions
    large = _modules(mass_action_text(200), tmp_path, "n200", scalar=False)   # 400 reactions
    assert _equations(small, 25) == _equations(large, 200)
    assert small.N_NETWORK_TEMPLATES == large.N_NETWORK_TEMPLATES == 3


def test_small_networks_keep_scalar_code():
    model, source = api.compile_source(network_text(4, STRUCTURED_MIN_REACTIONS - 1), "small.model",
                                       simplify=False)
    assert not use_structured(model)
    assert "NETWORK_STRUCTURED" not in source


def test_templates_group_rate_laws_up_to_renaming():
    a, b, c, k1, k2, v1, v2, km1, km2 = sympy.symbols("A B C k1 k2 V1 V2 Km1 Km2", real=True)
    x, y, kz = sympy.symbols("x y kz", real=True)
    rates = [k1 * a * b, v1 * a / (km1 + a), k2 * c * x, v2 * y / (km2 + y), kz * b,
             sympy.Float(0.5) * k1 * a, sympy.Float(0.25) * k2 * b]
    templates = find_templates(rates)
    members = sorted(t.members for t in templates)
    # k*A*B, k*C*x, 0.5*k*A and 0.25*k*B (a number is a slot: all x*y*z); the two Michaelis-Menten
    # laws; k*B alone
    assert members == [(0, 2, 5, 6), (1, 3), (4,)]
    for t in templates:   # every instance is its template with the slots bound
        for member, atoms in zip(t.members, t.atoms):
            bound = t.expr.xreplace({sympy.Symbol(f"_s{q}", real=True): a for q, a in enumerate(atoms)})
            assert sympy.simplify(bound - rates[member]) == 0


def test_every_kind_in_one_template_each(tmp_path):
    structured = _modules(network_text(12, 3 * len(KINDS), 4), tmp_path, "kinds", scalar=False)
    # mass and source share k*A (a source is k alone: its own); reversible, decimal, compartment,
    # mm, hill, timed, let one each
    assert structured.N_NETWORK_TEMPLATES <= len(KINDS)


def test_model_names_like_generated_locals():
    """Names the structured code uses for itself (slot locals, ``values``) stay apart from the
    model's (`modelc.codegen.names`): a model declaring them solves correctly."""
    import modelc

    text = network_text(6, 30, 0).replace("vol", "_s0").replace("hexp", "s1").replace("kt", "values")
    text += "observe total = _s0*S0 + s1 + values\n"
    model = modelc.parse(text, "names.model")
    assert hasattr(model.module, "NETWORK_STRUCTURED")
    sol = model.solve(t=(0.0, 1.0), method="tsit5")
    assert int(sol.status) == 0
    np.testing.assert_allclose(np.asarray(sol["total"]), 0.7 * np.asarray(sol["S0"]) + 2.5 + 0.3, rtol=1e-12)
