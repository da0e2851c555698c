"""Bad field input: each problem is a ModelError at file:line:col with the line and a caret."""

from __future__ import annotations

import pytest

from modelc.api import compile_source
from modelc.errors import ModelError

BOUNDED = "domain x = [0, 1], points = 11\n"
ENDS = "boundary u = 0 at x = 0\nboundary u = 0 at x = 1\n"

CASES = {
    "undeclared axis": (
        BOUNDED + "field u = x\n" + ENDS + "der(u) = diff(u, y, 2)\n",
        5, 18, "derivative along `y`, which is not declared"),
    "axis that is a parameter": (
        "parameter y = 1\n" + BOUNDED + "field u = x\n" + ENDS + "der(u) = diff(u, y)\n",
        6, 18, "is parameter `y`, not a domain axis"),
    "boundary on a periodic axis": (
        "domain x = [0, 1], periodic, points = 16\nfield u = sin(2*pi*x)\nboundary u = 0 at x = 0\n"
        "der(u) = diff(u, x, 2)\n",
        3, 1, "a boundary condition on the periodic axis `x`"),
    "missing boundary": (
        BOUNDED + "field u = x\nboundary u = 0 at x = 0\nder(u) = diff(u, x, 2)\n",
        2, 7, "field `u` has no boundary condition at x = 1"),
    "too few points": (
        "domain x = [0, 1], points = 5, order = 4\nfield u = x\n" + ENDS + "der(u) = diff(u, x, 2)\n",
        1, 29, "has 5 points, too few for its fd stencil (at least 7)"),
    "too few spectral points": (
        "domain x = [0, 1], periodic, points = 2\nfield u = x\nder(u) = diff(u, x, 2)\n",
        1, 39, "too few for its spectral stencil"),
    "nonlinear boundary": (
        BOUNDED + "field u = x\nboundary u^2 = 1 at x = 0\nboundary u = 0 at x = 1\nder(u) = diff(u, x, 2)\n",
        3, 10, "not linear in the field"),
    "boundary value uses the field": (
        BOUNDED + "field u = x\nboundary u = u^2 at x = 0\nboundary u = 0 at x = 1\nder(u) = diff(u, x, 2)\n",
        3, 14, "not linear in the field"),
    "boundary away from the ends": (
        BOUNDED + "field u = x\nboundary u = 0 at x = 0.5\nboundary u = 0 at x = 1\nder(u) = diff(u, x, 2)\n",
        3, 23, "is not an end of the axis"),
    "unknown domain option": (
        "domain x = [0, 1], periodic, points = 16, spacing = 2\nfield u = x\nder(u) = u\n",
        1, 43, "unknown domain option `spacing`"),
    "spectral on a bounded axis": (
        "domain x = [0, 1], points = 16, method = spectral\nfield u = x\n" + ENDS + "der(u) = u\n",
        1, 1, "uses the spectral method but is not periodic"),
    "upwind on a spectral axis": (
        "domain x = [0, 1], periodic, points = 16, upwind\nfield u = x\nder(u) = u\n",
        1, 1, "`upwind` needs finite differences on axis `x`"),
    "field without equation": (
        "domain x = [0, 1], periodic, points = 16\nfield u = x\n",
        2, 7, "field `u` has no equation"),
    "field in a scalar state": (
        "domain x = [0, 1], periodic, points = 16\nfield u = sin(2*pi*x)\nstate m = 0\n"
        "der(u) = diff(u, x, 2)\nder(m) = u\n",
        5, 1, "der(m) is a scalar but uses `u`"),
    "third derivative on fd": (
        BOUNDED + "field u = x\n" + ENDS + "der(u) = diff(u, x, 3)\n",
        5, 1, "a derivative of order 3 along the finite-difference axis `x`"),
    "field initial value uses a state": (
        "domain x = [0, 1], periodic, points = 16\nstate m = 1\nfield u = m\nder(m) = 0\nder(u) = 0\n",
        3, 11, "uses state `m`"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_field_errors_point_at_the_culprit(name):
    text, line, col, message = CASES[name]
    with pytest.raises(ModelError) as info:
        compile_source(text, "bad.model")
    rendered = info.value.render()
    assert f"bad.model:{line}:{col}: error:" in rendered, rendered
    assert message in rendered, rendered
    source_line = text.split("\n")[line - 1]
    assert f"{line:>4} | {source_line}" in rendered
    assert "^" in rendered
