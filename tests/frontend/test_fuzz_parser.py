"""Property: any mutation of a valid file gives a model or a ModelError, never another exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelc import ir
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.passes.reactions import eliminate_conserved, lower_reactions
from modelc.passes.verify import verify

ROOT = Path(__file__).resolve().parents[2]

EXTRA = """\
model cond "conditions, comments and continuations"
parameter k = 2, rate = 0.5, d = 1e-3   # names that are option words elsewhere
state u = k/2, w = -1.5E+2
let s = if(u > 0 and not w <= 0 or u == w, sqrt(abs(u)), heaviside(w - u))
der(u) = -rate*u^2 + atan2(w,
                           u) * min(k, max(d, 2^-1))
der(w) = -(w - sin(2*pi*t)) / (1 + exp(-s))
observe o = log10(1 + u^2) + floor(w) + sign(t - 1)
simulate t = [0, 5], method = rk4, points = 11
"""

REACTIONS = """\
model net "a reaction network mixed with a state"
parameter k1 = 0.04, k2 = 3e7, kf = 2, kr = 1, rate = 0.5
species A = 1, B = 0, C = 0, S = 2*kf, P = 0
state T = 1
der(T) = -rate*T + A
reaction A -> B, k1*T
reaction r2: 2B -> B + C, k2
reaction B + C <-> A + C, kf, kr     # reversible
reaction S -> P, rate = rate*S/(1 + S)
reaction 0 -> A, rate
reaction r6: 3 C -> 0, 1e-3
observe total = A + B + C
"""

BASES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").glob("*.model"))] + [EXTRA, REACTIONS]

TOKENS = [
    "(", ")", "[", "]", ",", "=", "==", "<", ">=", "!=", "+", "-", "*", "/", "^", "**", ":", "->",
    "\n", " ", "#", '"', "\\", "$", "0", "1e", "2.5", "1e-3", ".", "t", "pi", "I", "x", "der", "der(",
    "state", "parameter", "let", "observe", "simulate", "model", "species", "reaction", "field",
    "if(", "and", "or", "not", "sin(", "exp", "heaviside(0)", "array", "\t", "\r\n", "\u03b1", "\x00",
    "<->", "0", "2", "-2", "0 ->", "-> 0", "+", "rate =", "r1:", "1.5",
    "9" * 30, "10^10^10", "(((", ")))",
]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["insert_char", "insert_token", "delete", "replace", "swap_lines"]))
        i = draw(st.integers(0, len(text)))
        if kind == "insert_char":
            text = text[:i] + draw(st.characters(codec="utf-8")) + text[i:]
        elif kind == "insert_token":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 8)):]
        elif kind == "replace":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i + draw(st.integers(1, 4)):]
        else:
            lines = text.split("\n")
            j, k = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[j], lines[k] = lines[k], lines[j]
            text = "\n".join(lines)
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_give_a_model_or_a_model_error(text):
    try:
        model = parse_source(text, "fuzz.model")
    except ModelError as err:
        assert err.diagnostics
        rendered = str(err)
        n_lines = text.count("\n") + 1
        for diag in err.diagnostics:
            assert diag.message and diag.span is not None
            assert 1 <= diag.span.line <= n_lines, (diag, rendered)
            assert diag.span.col >= 1
    else:
        assert isinstance(model, ir.Model)
        assert len(model.derivatives) == len(model.states)
        verify(eliminate_conserved(verify(lower_reactions(verify(model)))))
