"""A grid too large to solve is refused at its domain before anything is allocated
(issue 20 item 10): the estimate and the limit (``MODELC_MEMORY_LIMIT`` or the memory
available) are named; a grid that fits compiles as before."""

from __future__ import annotations

import pytest

from modelc.api import compile_source
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.memory import format_bytes, parse_bytes
from modelc.passes.discretize.memory import WORK_COPIES, grid_bytes

HEAT = """model heat
parameter D = 1
domain x = [0, 1], points = {n}, order = 2
field u = sin(pi*x)
boundary u = 0 at x = 0
boundary u = 0 at x = 1
der(u) = D*diff(u, x, 2)
"""

NLS_2D = """model nls2
domain x = [-10, 10], periodic, points = {n}
domain y = [-10, 10], periodic, points = {n}, dealias = off
field psi: complex = exp(-x^2 - y^2)
der(psi) = I*(diff(psi, x, 2) + diff(psi, y, 2)) + I*abs(psi)^2*psi
"""


def _refusal(text: str) -> str:
    with pytest.raises(ModelError) as info:
        compile_source(text, "big.model")
    return info.value.render()


def test_a_billion_points_are_refused_at_the_domain_with_the_estimate(monkeypatch):
    monkeypatch.setenv("MODELC_MEMORY_LIMIT", "64GB")
    message = _refusal(HEAT.format(n=1_000_000_000))
    need = 1e9 * 8 * WORK_COPIES
    assert "big.model:3:1" in message and "points = 1000000000" in message
    assert f"needs about {format_bytes(need)}" in message
    assert "more than 64 GB, the limit MODELC_MEMORY_LIMIT=64GB" in message
    assert "hint: use fewer points on axis `x`" in message


def test_the_limit_is_configurable_and_a_grid_under_it_compiles(monkeypatch):
    text = HEAT.format(n=200_001)           # 200,001 x 8 x WORK_COPIES bytes: ~19 MB
    monkeypatch.setenv("MODELC_MEMORY_LIMIT", "10MB")
    assert "more than 10 MB, the limit MODELC_MEMORY_LIMIT=10MB" in _refusal(text)
    monkeypatch.setenv("MODELC_MEMORY_LIMIT", "1GB")
    model = compile_source(text, "big.model")[0]
    assert model.discretization is not None and model.domains[0].points == 200_001


def test_the_estimate_counts_complex_fields_twice_and_dealiasing_padding():
    # 2-D complex field: 2 floats a point; x dealiased (3/2 padding), y not.
    model = parse_source(NLS_2D.format(n=64), "nls2.model")
    assert grid_bytes(model) == int(2 * 64 * 64 * 1.5 * 8 * WORK_COPIES)


def test_an_unreadable_limit_is_a_model_error(monkeypatch):
    monkeypatch.setenv("MODELC_MEMORY_LIMIT", "banana")
    assert "'banana' is not an amount of memory" in _refusal(HEAT.format(n=41))


@pytest.mark.parametrize("text, expected", [("8GB", 8 * 10**9), ("512 MiB", 512 * 2**20),
                                            ("2e9", 2 * 10**9), ("1.5k", 1500)])
def test_amounts_of_memory(text, expected):
    assert parse_bytes(text) == expected


@pytest.mark.parametrize("text", ["", "-1GB", "1 parsec", "inf", "0"])
def test_not_amounts_of_memory(text):
    with pytest.raises(ValueError):
        parse_bytes(text)
