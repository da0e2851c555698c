"""The model text shown in the docs' events sections parses and means what the docs say.

The indented blocks are read from the documents themselves (not copied here), so an
edit of an example that no longer parses, or no longer means what the prose around it
says, fails here: the "Events, delays and constraints" sections of ../shared/LANGUAGE.md
(the contract) and docs/language.md, and the whole models of docs/events.md and
docs/delays.md.  The claims checked are the ones the text states next to the example.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

import modelc
from modelc import ir
from modelc.errors import ModelError
from modelc.frontend.parser import parse_source

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "LANGUAGE.md"
S = ir.symbol

# Declarations of the names the section's fragment uses without declaring them.
DECLARATIONS = """\
parameter k = 1, tau = 0.5, D = 2
state h = 1, v = 0, A = 1, B = 0, S = 0, x = 1, y1 = 1, y2 = 0
der(h) = v
der(v) = -9.81
der(A) = -k*A
der(S) = 1
der(x) = -x
der(y1) = -y1
der(y2) = y1
"""


def indented_blocks(path: Path, heading: str | None = None) -> list[str]:
    """The code blocks (lines indented by 4 spaces, blank lines inside kept) of
    ``path``, or of its section ``heading`` (up to the next heading of any level)."""
    lines = path.read_text().splitlines()
    if heading is not None:
        start = lines.index(heading) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
        lines = lines[start:end]
    blocks, current = [], []
    for line in lines + [""]:
        if line.startswith("    ") and not line.lstrip().startswith("-"):
            current.append(line[4:])
        elif not line.strip() and current:
            current.append("")
        elif current:
            blocks.append("\n".join(current).strip() + "\n")
            current = []
    if current:
        blocks.append("\n".join(current).strip() + "\n")
    return blocks


def _section_fragment(path: Path) -> str:
    """The section's examples, after the declarations of the names they use."""
    blocks = indented_blocks(path, "## Events, delays and constraints")
    assert blocks, f"no example in {path}'s events section"
    text = "\n".join(blocks)
    spikes = "state spikes = 0\n" if "spikes" in text else ""  # set by docs/language.md's reset
    return DECLARATIONS + spikes + text


SECTIONS = [pytest.param(CONTRACT, id="LANGUAGE.md"),
            pytest.param(ROOT / "docs" / "language.md", id="docs/language.md")]


@pytest.mark.parametrize("path", SECTIONS)
def test_the_events_section_examples_parse_and_mean_what_the_text_says(path):
    if not path.exists():
        pytest.skip(f"{path} is not here")
    m = parse_source(_section_fragment(path), path.name)
    events = {e.name: e for e in m.events}
    # "fires when the condition becomes true"; all right-hand sides before any assignment
    assert events["bounce"].condition == sympy.Lt(S("h"), 0)
    assert [a.target for a in events["bounce"].assignments] == ["v", "h"]
    # "runs 0.5 after the condition became true"
    assert events["dose"].options.delay == sympy.Float(0.5)
    # an unnamed event is named by its position among the events (the third)
    assert events["event3"].options == ir.EventOptions(priority=1, persistent=False,
                                                       initial=False, values="trigger")
    assert [a.target for a in events["event3"].assignments] == ["S", "on"]
    # "ends the solve at the event time"
    assert events["halt"].stop and events["halt"].assignments == ()
    if "reset" in events:  # docs/language.md: assignments over several lines
        assert [a.target for a in events["reset"].assignments] == ["v", "spikes"]
    # "no `der`: constant between events"
    assert m.derivative_of("on").expr == 0
    # "determined by the constraint below"
    assert [c.state for c in m.constraints] == ["y3"]
    # "A's value at time t - tau"; "der(x) in an expression"
    assert m.derivative_of("B").expr == S("k") * ir.Delay(S("A"), S("tau")) - S("B")
    assert m.observes[0].expr == ir.DerValue(S("A")) + ir.DerValue(S("B"))


@pytest.mark.parametrize("path", SECTIONS)
def test_the_events_section_examples_compile(path):
    """The fragment, declared, goes through the whole compiler: the constraint is
    eliminated symbolically (y3 = 1 - y1 - y2, docs/language.md)."""
    if not path.exists():
        pytest.skip(f"{path} is not here")
    m = modelc.parse("model fragment\n" + _section_fragment(path), path.name)
    assert dict(m.ir.constraint_paths) == {"y3": "symbolic"}
    assert "y3" not in m.state_names


def _whole_models(path: Path) -> list[str]:
    return [b for b in indented_blocks(path) if b.startswith("model ")]


def test_the_ball_of_docs_events_md_bounces_and_stops_where_the_text_says():
    """docs/events.md: events ((0.4515..., 'bounce'), (1.1740..., 'bounce'), ...,
    (4.02..., 'rest')), Status.STOPPED; the first two against the closed form of free
    fall (t1 = sqrt(2 h0 / g), then flights of 2 e v1 / g)."""
    (text,) = _whole_models(ROOT / "docs" / "events.md")
    sol = modelc.parse(text, "events.md").solve(t=(0.0, 10.0), rtol=1e-10, atol=1e-12)
    assert sol.ok and sol.status.name == "STOPPED"
    times = [t for t, _ in sol.events]
    assert [name for _, name in sol.events][:2] == ["bounce", "bounce"]
    assert sol.events[-1][1] == "rest"
    t1 = np.sqrt(2 * 1.0 / 9.81)
    np.testing.assert_allclose(times[:2], [t1, t1 + 2 * 0.8 * 9.81 * t1 / 9.81], rtol=1e-8)
    assert f"{times[0]:.4f}" == "0.4515" and f"{times[1]:.4f}" == "1.1740"
    assert f"{times[-1]:.2f}" == "4.02"


def test_the_delay_model_of_docs_delays_md_compiles():
    """docs/delays.md's Mackey-Glass: x's equation reads the delayed x (a let)."""
    (text,) = _whole_models(ROOT / "docs" / "delays.md")
    assert modelc.parse(text, "delays.md").state_names == ("x",)
    assert parse_source(text).lets[0].expr == ir.Delay(S("x"), S("tau"))


# The inline examples in the prose of docs/language.md's events section, with what it says
# of each: (model text, the start of the error message, or None where it must parse).
_P = "parameter a = 1\nstate x = 1, y = 0\nder(x) = -x\n"
PROSE = [
    (_P + "der(y) = 0\nevent e when x < 0.5: x = 0, stop\n", "`stop` ends the solve"),
    ("state x = 1, stop = 1\nder(x) = -x\nevent e when x < 0.5: stop = 0\n", None),
    ("state x = 1, y = 0\nder(x) = der(y)\nder(y) = der(x)\n",
     "`der(x)` depends on itself: der(x) -> der(y) -> der(x)"),
    ("state x = 1, z = 0\nder(x) = -x\n", "state `z` has no equation"),
    (_P + "der(y) = der(a)\n", "`der(a)`: `a` is a parameter"),
    (_P + "der(y) = der(t)\n", "`der(t)`: `t` is time"),
    (_P + "der(y) = der(x + 1)\n", "`der(...)` in an expression takes the name of one state"),
    (_P + "der(y) = 0\nevent e when 1: y = 1\n", "`1` is a number, not a condition"),
    (_P + "der(y) = 0\nevent e when x < 0.5: a = 1\n", "the event assigns `a`, which is a parameter"),
    (_P + "der(y) = 0\nevent e when x < 0.5, delay = 1, delay = 2: y = 1\n",
     "event option `delay` is given twice"),
    (_P + "der(y) = 0\nevent e when x < 0.5, delay = -1: y = 1\n", "an event's delay is negative"),
    (_P + "der(y) = delay(x, -1)\n", "delay(expr, tau) is negative"),
    ("parameter delay = 1, initial = 2, values = 3\nstate x = 1\nder(x) = -delay*initial*values*x\n",
     None),
    (_P + "der(y) = 0\nevent a when x < 0.5: y = 1\n", None),  # event names are labels
    ("parameter k = 1\nspecies A = 1, B = 0\nreaction 0.5 A -> B, k\n", None),
]


@pytest.mark.parametrize("text,error", PROSE)
def test_the_events_section_prose_examples(text, error):
    if error is None:
        parse_source(text, "m.model")
        return
    with pytest.raises(ModelError) as info:
        parse_source(text, "m.model")
    first = info.value.diagnostics[0].message
    assert first.startswith(error), first


def test_constraints_pair_as_the_text_says():
    """`constraint p + q = u` and `constraint p = 2*u` pair `q` and `p`."""
    m = parse_source("state u = 1, p = 0, q = 0\nder(u) = -u\nconstraint p + q = u\n"
                     "constraint p = 2*u\n")
    assert [c.state for c in m.constraints] == ["q", "p"]
