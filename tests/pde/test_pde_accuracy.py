"""Accuracy of the method of lines against analytic solutions (tests from the maths)."""

from __future__ import annotations

import numpy as np
import pytest

HEAT = """
domain x = [0, 1], points = {n}, order = {order}
field u = sin(pi*x)
boundary u = 0 at x = 0
boundary u = 0 at x = 1
der(u) = diff(u, x, 2)
"""


def _heat_error(semi_discrete, n, order, t1=0.05):
    sd = semi_discrete(HEAT.format(n=n, order=order))
    u = sd.run(t1)[0]["u"]
    x = sd.grid()["x"]
    return np.max(np.abs(u - np.exp(-np.pi**2 * t1) * np.sin(np.pi * x)))


@pytest.mark.slow
@pytest.mark.parametrize("order", [2, 4])
def test_dirichlet_heat_converges_at_the_nominal_order(semi_discrete, order):
    sizes = [11, 21, 41] if order == 2 else [21, 41, 81]
    errors = [_heat_error(semi_discrete, n, order) for n in sizes]
    h = 1.0 / (np.array(sizes) - 1)
    slope = np.polyfit(np.log(h), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.3, (errors, slope)


def test_periodic_spectral_heat_and_advection_to_round_off(semi_discrete):
    sd = semi_discrete("""
parameter c = 0.7
domain x = [0, 2*pi], periodic, points = 32
field u = sin(x) + 0.5*cos(3*x)
field a = exp(sin(x))
der(u) = diff(u, x, 2)
der(a) = -c*diff(a, x)
""")
    t1 = 0.5
    out = sd.run(t1, rtol=1e-13)[0]
    x = sd.grid()["x"]
    exact_u = np.exp(-t1) * np.sin(x) + 0.5 * np.exp(-9 * t1) * np.cos(3 * x)
    assert np.max(np.abs(out["u"] - exact_u)) < 1e-10
    # exp(sin x) is not band-limited: 32 points resolve it to about 1e-14
    assert np.max(np.abs(out["a"] - np.exp(np.sin(x - 0.7 * t1)))) < 1e-10


def test_time_dependent_dirichlet_and_neumann_values(semi_discrete):
    # u = exp(-t) cos(x) solves u_t = u_xx; its boundary values depend on t
    sd = semi_discrete("""
domain x = [0, 1], points = 41
field u = cos(x)
boundary u = exp(-t) at x = 0
boundary diff(u, x) = -exp(-t)*sin(1) at x = 1
der(u) = diff(u, x, 2)
""")
    u = sd.run(0.5)[0]["u"]
    x = sd.grid()["x"]
    assert np.max(np.abs(u - np.exp(-0.5) * np.cos(x))) < 1e-4  # O(h^2) with h = 1/40
    assert u[0] == pytest.approx(np.exp(-0.5), rel=1e-14)  # the Dirichlet value is in place


def test_burgers_matches_cole_hopf(semi_discrete, examples_dir):
    sd = semi_discrete((examples_dir / "burgers.model").read_text())
    nu, t1 = 0.1, 2.0
    u = sd.run(t1)[0]["u"]
    x = sd.grid()["x"]
    decay = np.exp(-nu * t1)
    exact = 2 * nu * decay * np.sin(x) / (2 + decay * np.cos(x))
    assert np.max(np.abs(u - exact)) < 1e-6


def _soliton(x, t, eta=1.0, v=np.pi / 6, x0=-1.3):
    return eta / np.cosh(eta * (x - x0 - v * t)) * np.exp(1j * (v * x + 0.5 * (eta**2 - v**2) * t))


def test_nlse_bright_soliton_shape_and_speed(semi_discrete, examples_dir):
    sd = semi_discrete((examples_dir / "nlse_soliton.model").read_text())
    psi = sd.run(5.0, rtol=1e-13)[0]["psi"]
    x = sd.grid()["x"]
    assert np.iscomplexobj(psi)
    assert np.max(np.abs(psi - _soliton(x, 5.0))) < 1e-8


@pytest.mark.slow
def test_nlse_collision_conserves_mass_and_energy(semi_discrete, examples_dir):
    sd = semi_discrete((examples_dir / "nlse_collision.model").read_text())
    states = sd.run(6.0, rtol=1e-13, times=[0.0, 3.0, 6.0])
    x = sd.grid()["x"]
    h = x[1] - x[0]
    k = 2 * np.pi * np.fft.fftfreq(x.size, h)
    masses, energies = [], []
    for s in states:
        psi = s["psi"]
        dpsi = np.fft.ifft(1j * k * np.fft.fft(psi))
        masses.append(h * np.sum(np.abs(psi) ** 2))
        energies.append(h * np.sum(0.5 * np.abs(dpsi) ** 2 - 0.5 * np.abs(psi) ** 4))
    assert max(abs(m - masses[0]) for m in masses) / masses[0] < 1e-10
    assert max(abs(e - energies[0]) for e in energies) / abs(energies[0]) < 1e-10
    # the solitons did meet: at t = 3 one pulse holds most of the mass near x = 0
    assert np.max(np.abs(states[1]["psi"])) > 1.5


@pytest.mark.slow
def test_keller_segel_zero_flux_conserves_cells(semi_discrete, examples_dir):
    sd = semi_discrete((examples_dir / "keller_segel.model").read_text())
    states = sd.run(20.0, rtol=1e-10, times=[0.0, 10.0, 20.0])
    x = sd.grid()["x"]
    w = np.full(x.size, x[1] - x[0])
    w[[0, -1]] /= 2
    mass = [np.sum(w * s["n"]) for s in states]
    assert max(abs(m - mass[0]) for m in mass) / mass[0] < 1e-12
    assert np.ptp(states[-1]["n"]) > np.ptp(states[0]["n"])  # the cells aggregate


@pytest.mark.slow
@pytest.mark.parametrize("order", [2, 4])
def test_periodic_finite_differences_converge_at_their_order(semi_discrete, order):
    text = """
domain x = [0, 2*pi], periodic, points = {n}, method = fd, order = {order}
field u = sin(x)
der(u) = diff(u, x, 2) - diff(u, x)
"""
    errors = []
    for n in (16, 32):
        sd = semi_discrete(text.format(n=n, order=order))
        x = sd.grid()["x"]
        errors.append(np.max(np.abs(sd.run(0.5)[0]["u"] - np.exp(-0.5) * np.sin(x - 0.5))))
    assert abs(np.log2(errors[0] / errors[1]) - order) < 0.3


def test_2d_bounded_grid_with_mixed_conditions_converges(semi_discrete):
    # u = exp(-2 pi^2 t) sin(pi x) sin(pi y) + x y: Dirichlet values that vary along the
    # edge and a time-dependent Neumann slope
    text = """
domain x = [0, 1], points = {n}
domain y = [0, 1], points = {n}
field u = sin(pi*x)*sin(pi*y) + x*y
boundary u = 0 at x = 0
boundary u = y at x = 1
boundary u = 0 at y = 0
boundary diff(u, y) = x - pi*sin(pi*x)*exp(-2*pi^2*t) at y = 1
der(u) = laplacian(u)
"""
    errors = []
    for n in (11, 21):
        sd = semi_discrete(text.format(n=n))
        g = sd.grid()
        x, y = np.meshgrid(g["x"], g["y"], indexing="ij")
        exact = np.exp(-2 * np.pi**2 * 0.05) * np.sin(np.pi * x) * np.sin(np.pi * y) + x * y
        errors.append(np.max(np.abs(sd.run(0.05)[0]["u"] - exact)))
    assert abs(np.log2(errors[0] / errors[1]) - 2) < 0.3


def test_upwind_advection_of_a_step_is_monotone(semi_discrete):
    text = """
domain z = [0, 1], points = 101{option}
field c = if(z < 0.3, 1, 0)
boundary c = 1 at z = 0
boundary diff(c, z) = 0 at z = 1
der(c) = -diff(c, z)
"""
    central = semi_discrete(text.format(option="")).run(0.3, rtol=1e-8)[0]["c"]
    upwind = semi_discrete(text.format(option=", upwind")).run(0.3, rtol=1e-8)[0]["c"]
    assert central.max() > 1.1  # centred differences overshoot at the front
    assert upwind.max() <= 1 + 1e-9 and upwind.min() >= -1e-9  # upwind differences do not
    z = np.linspace(0, 1, 101)
    assert np.all(upwind[z < 0.5] > 0.5) and np.all(upwind[z > 0.7] < 0.1)  # the front moved by 0.3
