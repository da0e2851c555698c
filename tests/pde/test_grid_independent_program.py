"""Issue 16 item 7: a field model compiles to the same program whatever its grid size."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import modelc
from modelc import fieldops

KS = """
model ks "Kuramoto-Sivashinsky"
domain x = [0, 32*pi], periodic, points = {n}
field u = cos(x/16)*(1 + sin(x/16))
der(u) = -u*diff(u, x) - diff(u, x, 2) - diff(u, x, 4)
observe energy = integral(u^2)
"""

HEAT = """
model heat "heat equation, fd"
domain x = [0, 1], points = {n}
field u = sin(pi*x)
der(u) = diff(u, x, 2)
boundary u = 0 at x = 0
boundary u = 0 at x = 1
observe total = integral(u)
"""


def _large_constants(text: str, n: int) -> list[str]:
    """The shapes of array constants in StableHLO with a dimension of at least n/2."""
    shapes = re.findall(r"stablehlo.constant dense<[^>]*> : tensor<([0-9x]+)x?[a-z]", text)
    return [s for s in shapes if any(int(d) >= n // 2 for d in s.split("x") if d)]


@pytest.mark.parametrize("text", [KS, HEAT], ids=["spectral", "fd"])
def test_the_program_does_not_grow_with_the_grid(text):
    sizes = {}
    for n in (64, 2048):
        m = modelc.parse(text.format(n=n), f"grid{n}.model")
        traced = jax.jit(m.solver(method="tsit5", rtol=1e-6, atol=1e-6)).trace(
            {}, {}, jnp.linspace(0.0, 0.1, 3))
        hlo = traced.lower().as_text()
        assert _large_constants(hlo, n) == []        # no n-long table embedded in the code
        sizes[n] = (len(traced.jaxpr.jaxpr.eqns), len(hlo))
    assert sizes[64][0] == sizes[2048][0]
    assert abs(sizes[2048][1] - sizes[64][1]) < 0.05 * sizes[64][1]   # only the shapes' digits differ


@pytest.mark.parametrize("n", [1, 2, 7, 8, 64, 129])
def test_bins_are_numpys_fft_frequencies(n):
    np.testing.assert_array_equal(fieldops._bins(n, True), np.fft.rfftfreq(n, 1.0 / n))
    np.testing.assert_array_equal(fieldops._bins(n, False), np.fft.fftfreq(n, 1.0 / n))


def test_weights_are_the_trapezoidal_and_rectangle_rules():
    np.testing.assert_allclose(fieldops.weights(0.0, 1.0, 5, False, 0, 1), [0.125, 0.25, 0.25, 0.25, 0.125])
    np.testing.assert_allclose(fieldops.weights(0.0, 1.0, 4, True, 0, 1), [0.25] * 4)
