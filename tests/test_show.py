"""`modelc show` prints the model language, and defines every name it prints (issue 19, item 8)."""

import re

from modelc.api import compile_source
from modelc.show import describe, describe_simplification

FOLDED = """
parameter a = 1, b = 2
state x = 1, y = 1
der(x) = (a + b)*x*y - a*x*y
der(y) = -(a + b)*y
"""

PULSE = """
parameter Iamp = 2, ton = 1, toff = 3
state v = 0
der(v) = -v + if(t >= ton and t < toff, Iamp, 0)
"""


def test_parameter_only_constants_fold():
    """(a + b) - a is b: no constant `_k1 = _k0 - a` with `_k0 = a + b` is left behind."""
    model, _ = compile_source(FOLDED)
    der_x = next(c.after for c in model.simplification.equations if c.name == "der(x)")
    assert str(der_x) == "b*x*y"
    assert [str(e) for _, e in model.constants] == ["-a - b"]


def test_every_name_shown_is_defined():
    model, _ = compile_source(FOLDED)
    text = describe(model)
    defined = set(re.findall(r"^  (\w+) = ", text, flags=re.M))
    used = set(re.findall(r"\b_k\d+\b", text))
    assert used and used <= defined


def test_conditionals_print_as_the_language():
    model, _ = compile_source(PULSE)
    text = describe(model)
    assert "Piecewise" not in text and "**" not in text
    assert "if(t >= ton and t < toff, Iamp, 0)" in text


def test_latex_names_constants():
    model, _ = compile_source(FOLDED)
    latex = describe_simplification(model.simplification, latex=True)
    assert "_k" not in latex and r"\kappa_{" in latex


def test_diffusion_form_only_for_probability_flow_models():
    """A model linear in its state has the noise form (g free of the state), but only
    one whose g is an external noise prediction is shown as a diffusion model."""
    linear, _ = compile_source("parameter k = 2\nstate x = 1\nder(x) = -k*x + sin(t)\n")
    assert linear.noise_form is not None
    assert "diffusion form" not in describe(linear)
    flow, _ = compile_source("parameter beta = 2\nexternal eps(x, t)\nstate x: array\n"
                             "der(x) = -beta/2*x + beta*eps(x, t)\n")
    text = describe(flow)
    assert "diffusion form" in text and "a = -beta/2" in text
