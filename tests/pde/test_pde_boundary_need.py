"""Which fields need boundary conditions: only those the equations differentiate (issue 19, item 4)."""

from __future__ import annotations

import numpy as np
import pytest

import modelc
from modelc.errors import ModelError

FHN = """
parameter D = 1, a = 0.7, b = 0.8, eps = 0.08
domain x = [0, 100], points = 41
field v = -1.2
field w = -0.6
boundary diff(v, x) = 0 at x = 0
boundary diff(v, x) = 0 at x = 100
der(v) = D*diff(v, x, 2) + v - v^3/3 - w
der(w) = eps*(v + a - b*w)
"""

FHN_ODE = """
parameter a = 0.7, b = 0.8, eps = 0.08
state v = -1.2, w = -0.6
der(v) = v - v^3/3 - w
der(w) = eps*(v + a - b*w)
"""


def test_a_field_that_is_never_differentiated_needs_no_boundary():
    """Spatially uniform FitzHugh-Nagumo stays uniform: every node, the ends of the gating
    variable w included, follows the ODE without space (a pinned w = 0 would not)."""
    options = dict(t=(0, 20), points=5, method="tsit5", rtol=1e-10, atol=1e-12)
    pde = modelc.parse(FHN).solve(**options)
    ode = modelc.parse(FHN_ODE).solve(**options)
    assert pde.status == 0
    for name in ("v", "w"):
        np.testing.assert_allclose(pde[name], np.repeat(ode[name][:, None], 41, axis=1),
                                   rtol=1e-7, atol=1e-9)


def test_a_field_differentiated_through_a_let_still_needs_both_ends():
    text = ("domain x = [0, 1], points = 11\nfield u = x\nlet flux = -diff(u, x)\n"
            "boundary u = 0 at x = 0\nder(u) = -diff(flux, x)\n")
    with pytest.raises(ModelError) as err:
        modelc.parse(text)
    message = str(err.value)
    assert "field `u` has no boundary condition at x = 1" in message
    assert "`boundary diff(u, x) = 0 at x = 1` (zero flux" in message
