"""Small helpers shared by the frontend tests."""

from __future__ import annotations

import pytest
import sympy

from modelc import ir
from modelc.errors import Diagnostic, ModelError
from modelc.frontend.parser import parse_source

# Declares a, b, c (parameters) and x (a state) so expressions can use them.
PRELUDE = "parameter a = 1, b = 2, c = 3\nstate x = 1\nder(x) = 0\n"


def errors(text: str, file: str = "m.model") -> list[Diagnostic]:
    """The diagnostics `parse_source` raises for ``text`` (the test fails if it raises none)."""
    with pytest.raises(ModelError) as info:
        parse_source(text, file)
    return info.value.diagnostics


def only_error(text: str, file: str = "m.model") -> Diagnostic:
    """The single diagnostic for ``text``."""
    diags = errors(text, file)
    assert len(diags) == 1, "\n".join(d.message for d in diags)
    return diags[0]


def expr(text: str) -> sympy.Basic:
    """The SymPy value of the expression ``text`` (may use a, b, c, x and t)."""
    model = parse_source(PRELUDE + f"let v = {text}\n")
    return model.lets[0].expr


S = ir.symbol
