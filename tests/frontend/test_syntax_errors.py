"""Syntax errors: every example of the message table, positions, and recovery."""

from __future__ import annotations

import pytest
from frontend_helpers import errors, only_error

from modelc.errors import ModelError
from modelc.frontend.parser import parse_source
from modelc.frontend import syntax_errors
from modelc.frontend.syntax_errors import SYNTAX_ERRORS

EXAMPLES = [(label, example) for label, entry in SYNTAX_ERRORS.items() for example in entry.examples]


@pytest.mark.parametrize("label, example", EXAMPLES, ids=[f"{lab}-{i}" for i, (lab, _) in enumerate(EXAMPLES)])
def test_every_example_gets_its_message(label, example):
    entry = SYNTAX_ERRORS[label]
    diag = only_error(example, "ex.model")
    fixed = entry.message.split("{found}")[0]
    assert diag.message.startswith(fixed), (diag.message, fixed)
    assert diag.hint == entry.hint
    assert "{" not in diag.message


def test_every_label_has_examples():
    assert all(entry.examples for entry in SYNTAX_ERRORS.values())


def test_rendered_syntax_error_names_the_place_and_shows_a_caret():
    with pytest.raises(ModelError) as info:
        parse_source("state x = 1\nder x = -x\n", "decay.model")
    assert str(info.value) == (
        "decay.model:2:5: error: `der` needs parentheses around the state's name\n"
        "   2 | der x = -x\n"
        "     |     ^\n"
        "  hint: write `der(x) = ...`"
    )


@pytest.mark.parametrize(
    "text, message, position",
    [
        ("parameter k 2\n", "expected `=`, found number `2`", (1, 13)),
        ("state x = 1\nder(x) = (x + 1\n", "`(` is never closed", (2, 10)),
        ("state x = 1\nder(x) = x + * 2\n", "expected a value, found `*`", (2, 14)),
        ("state x = 1\nder(x) = x +\n", "the expression is incomplete: expected a value, found end of line", (2, 13)),
        ("parameter 2k = 1\n", "expected a name, found number `2`", (1, 11)),
        ("state x = 1\nder x = 1\n", "`der` needs parentheses around the state's name", (2, 5)),
        ("let a = 2 b\n", "expected an operator, `,` or the end of the line, found name `b`", (1, 11)),
        ("let a = b)\n", "unmatched `)`", (1, 10)),
        ("x = 1\n", "expected a statement, found name `x`", (1, 1)),
        ("let a = b ? c\n", "unexpected character `?`", (1, 11)),
        ("simulate t = [0 20]\n", "a time interval is written `[start, end]`; found number `20`", (1, 17)),
        ("let a = max(b c)\n", "expected an operator, `,` or `)`, found name `c`", (1, 15)),
    ],
)
def test_syntax_error_positions(text, message, position):
    diag = only_error(text)
    assert diag.message == message
    assert (diag.span.line, diag.span.col) == position


def test_unclosed_bracket_does_not_swallow_the_next_statement():
    diags = errors("parameter k = 1\nstate x = (1\nder(x) = -k*x y\nlet a = 1 +\n")
    assert [(d.span.line, d.span.col, d.message.split(",")[0]) for d in diags] == [
        (2, 11, "`(` is never closed"),
        (3, 15, "expected an operator"),
        (4, 12, "the expression is incomplete: expected a value"),
    ]


def test_independent_syntax_errors_are_reported_together():
    text = "parameter k 1\nstate x = 1\nder(x) = -k*\nlet y = 2 $\nexternal eps(x, t)\nreaction A B, k\nlet z = eps(x)\n"
    diags = errors(text)
    assert [d.span.line for d in diags] == [1, 3, 4, 6, 7]
    assert diags[3].message.startswith("expected `->` or `<->`")
    assert diags[4].message == "external `eps` takes 2 arguments, got 1"


def test_expression_errors_in_good_statements_are_reported_with_syntax_errors():
    diags = errors("parameter k 1\nlet v = sin(1, 2)\n")
    assert [d.span.line for d in diags] == [1, 2]
    assert diags[1].message == "`sin` takes 1 argument, got 2"


def test_unknown_state_type():
    diag = only_error("state x: matrix\n")
    assert diag.message == "unknown state type `matrix`"
    assert (diag.span.line, diag.span.col) == (1, 10)


def test_array_state_with_a_value_is_an_error():
    diag = only_error("state x: array = 1\nder(x) = -x\n")
    assert diag.message == "array state `x` takes its value from y0 at solve time, not from the file"
    assert (diag.span.line, diag.span.col) == (1, 18)


def test_statement_keyword_must_be_a_whole_word():
    diag = only_error("stateful = 1\n")
    assert diag.message == "expected a statement, found name `stateful`"


def test_generic_message_lists_what_was_expected(monkeypatch):
    # An error that neither the example table nor the rules recognise.
    monkeypatch.setattr(syntax_errors, "_table", lambda parse: {})
    monkeypatch.setattr(syntax_errors, "_by_rule", lambda expected, token: None)
    diag = only_error("parameter k 1\n")
    assert diag.message == "unexpected number `1`"
    assert diag.hint == "expected `=`"
    assert (diag.span.line, diag.span.col) == (1, 13)
