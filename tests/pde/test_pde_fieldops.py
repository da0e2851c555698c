"""The grid operators of `modelc.fieldops` against exact derivatives and identities."""

from __future__ import annotations

import numpy as np
import pytest

from modelc import fieldops


def test_spectral_derivatives_of_trigonometric_polynomials_are_exact():
    n, length = 32, 2 * np.pi
    x = np.arange(n) * length / n
    u = np.sin(3 * x) + np.cos(x)
    assert np.allclose(fieldops.spectral_diff(u, 0, 1, length), 3 * np.cos(3 * x) - np.sin(x), atol=1e-12)
    assert np.allclose(fieldops.spectral_diff(u, 0, 2, length), -9 * np.sin(3 * x) - np.cos(x), atol=1e-11)
    z = np.exp(2j * x)
    assert np.allclose(fieldops.spectral_diff(z, 0, 1, length), 2j * z, atol=1e-12)


def test_spectral_laplacian_in_2d_matches_two_second_derivatives():
    n = 16
    x = np.arange(n) * 2 * np.pi / n
    u = np.sin(x)[:, None] * np.cos(2 * x)[None, :]
    assert np.allclose(fieldops.spectral_laplacian(u, (2 * np.pi, 2 * np.pi)), -5 * u, atol=1e-12)


def test_dealias_removes_the_top_third_of_the_modes():
    n = 24
    x = np.arange(n) * 2 * np.pi / n
    kept, removed = np.cos(3 * x), np.cos(10 * x)
    assert np.allclose(fieldops.dealias(kept + removed, (0,)), kept, atol=1e-13)


@pytest.mark.parametrize("order, accuracy", [(1, 2), (2, 2), (1, 4), (2, 4)])
def test_stencils_converge_at_their_order(order, accuracy):
    errors = []
    for n in (20, 40):
        h = 2 * np.pi / n
        x = np.arange(n) * h
        padded = fieldops.pad(np.sin(x), 0, accuracy // 2, accuracy)
        exact = np.cos(x) if order == 1 else -np.sin(x)
        errors.append(np.max(np.abs(fieldops.stencil_diff(padded, 0, order, accuracy, h) - exact)))
    assert abs(np.log2(errors[0] / errors[1]) - accuracy) < 0.2


@pytest.mark.parametrize("order", [2, 4])
def test_ghost_points_reproduce_polynomials_of_the_stencil_degree(order):
    h = 0.1
    x = np.arange(12) * h
    u = 1 + 2 * x - x**2 + (0.5 * x**3 + 0.25 * x**4 if order == 4 else 0)
    du = lambda s: 2 - 2 * s + (1.5 * s**2 + s**3 if order == 4 else 0)  # noqa: E731
    g = order // 2
    ghost_x = np.concatenate([x[0] - h * np.arange(g, 0, -1), x, x[-1] + h * np.arange(1, g + 1)])
    exact = 1 + 2 * ghost_x - ghost_x**2 + (0.5 * ghost_x**3 + 0.25 * ghost_x**4 if order == 4 else 0)
    for kind, lower, upper in (("dirichlet", ("dirichlet", None), ("dirichlet", None)),
                               ("neumann", ("neumann", du(x[0])), ("neumann", du(x[-1])))):
        padded = np.asarray(fieldops.pad(u, 0, g, order, lower, upper, h))
        assert np.allclose(padded, exact, atol=1e-11), kind


def test_flux_form_telescopes_to_zero_total_with_zero_flux_ghosts():
    rng = np.random.default_rng(0)
    n, h = 30, 0.1
    c, d = rng.random(n), rng.random(n)
    pc = fieldops.pad(c, 0, 1, 2, ("neumann", 0.0), ("neumann", 0.0), h)
    pd = fieldops.pad(d, 0, 1, 2, ("neumann", 0.0), ("neumann", 0.0), h)
    flux = fieldops.face(pd, 0) * fieldops.face_diff(pc, 0, h)
    change = np.asarray(fieldops.flux_div(flux, 0, h))
    w = np.full(n, h)
    w[[0, -1]] /= 2
    assert abs(np.sum(w * change)) < 1e-13


def test_boundary_planes_in_2d():
    u = np.zeros((4, 5))
    out = np.asarray(fieldops.set_boundary(u, 1, -1, np.arange(4.0)[:, None]))
    assert np.array_equal(out[:, -1], np.arange(4.0)) and not out[:, :-1].any()
    assert not np.asarray(fieldops.zero_boundary(out, 1, -1)).any()
