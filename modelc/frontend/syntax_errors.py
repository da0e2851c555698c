"""Human messages for syntax errors, chosen by an example table.

As in lark's own ``load_grammar.py``, each message comes with malformed
examples; the parser state in which an example fails identifies the message.
Lark's ``UnexpectedInput.match_examples`` also compares the depth of the
parser's stack, so an error inside nested parentheses would miss the example
written without them; `describe` therefore keys the table by the LALR state and
the unexpected token's type only, and falls back to rules about what the state
expected (a value, a name, ``=``) before a generic "unexpected X" message.
`tests/frontend/test_syntax_errors.py` runs every example through the parser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

__all__ = ["SyntaxMessage", "SYNTAX_ERRORS", "describe", "describe_token"]


@dataclass(frozen=True)
class SyntaxMessage:
    """A syntax error's message (may use ``{found}``), its hint, and inputs that cause it."""

    message: str
    hint: str
    examples: tuple[str, ...]


_STATEMENTS = "model, parameter, state, species, let, der, observe, reaction, event, constraint or simulate"
_REACTION_SIDE = (
    "each side of a reaction is species joined by `+`, each with an optional positive "
    "coefficient (`2B`), or `0` for none, e.g. `reaction 2B -> B + C, k2`"
)

#: label -> message; the order matters where two labels share a parser state.
SYNTAX_ERRORS: dict[str, SyntaxMessage] = {
    "statement_start": SyntaxMessage(
        "expected a statement, found {found}",
        f"each statement starts with a keyword: {_STATEMENTS} "
        "(e.g. `let x = ...` or `der(x) = ...`)",
        ("x = 1", "1 + 2", "let a = 1\nx = 1", "(a)", "parameter a = 1\n\n+ b", "- a"),
    ),
    "der_parens": SyntaxMessage(
        "`der` needs parentheses around the state's name",
        "write `der(x) = ...`",
        ("der x = 1", "der = 1", "der\n", "der[x] = 1"),
    ),
    "der_close": SyntaxMessage(
        "expected `)` after the state's name in `der(...)`, found {found}",
        "`der(...)` takes just the name of one state, e.g. `der(x) = -k*x`",
        ("der(x y) = 1", "der(x + 1) = 2", "der(x, y) = 2"),
    ),
    "name_expected": SyntaxMessage(
        "expected a name, found {found}",
        "a name starts with a letter or `_` and goes on with letters, digits and `_`, e.g. `k1` (not `1k`)",
        (
            "parameter 1a = 2",
            "state 2 = 1",
            "let 3 = 1",
            "observe = 2",
            "der(1) = 2",
            'model "doc"',
            "parameter a = 1, 2 = 3",
            "simulate 1 = 2",
            "state x = 1, = 2",
            "simulate t = [0, 1], = 2",
        ),
    ),
    "missing_equals": SyntaxMessage(
        "expected `=`, found {found}",
        "write `name = value`, e.g. `parameter k = 1`",
        (
            "parameter a 1",
            "state x",
            "let r x",
            "observe e",
            "der(x) 1",
            "simulate t [0, 1]",
            "parameter a = 1, b",
            "let a == 1",
        ),
    ),
    "chained_comparison": SyntaxMessage(
        "comparisons cannot be chained",
        "write `a < b and b < c` instead of `a < b < c`",
        ("let a = if(b < c < d, 1, 2)", "let a = if(b == c == d, 1, 2)"),
    ),
    "incomplete": SyntaxMessage(
        "the expression is incomplete: expected a value, found {found}",
        "a statement ends at the end of its line; to go on over several lines, "
        "wrap the expression in parentheses",
        (
            "let a = b +\n",
            "let a = b *\n",
            "let a = b -\n",
            "let a = b /\n",
            "let a = b ^\n",
            "let a = -\n",
            "let a =\n",
            "let a = b and\n",
            "let a = not\n",
            "let a = b <\n",
            "parameter a = \n",
            "let a = b +",
        ),
    ),
    "operand_expected": SyntaxMessage(
        "expected a value, found {found}",
        "an operator needs a value on each side: remove the extra operator or add the missing value",
        (
            "let a = * b",
            "let a = b + * c",
            "let a = b * / c",
            "let a = (* b)",
            "let a = sin(* b)",
            "let a = max(1, * b)",
            "let a = ^2",
            "let a = b ^ * c",
            "let a = -*b",
            "let a = if(b == * c, 1, 2)",
            "let a = if(b and * c, 1, 2)",
            "let a = if(not * c, 1, 2)",
            "simulate t = [*0, 1]",
            "simulate t = [0, *1]",
            "let a = (b - )",
        ),
    ),
    "use_double_equals": SyntaxMessage(
        "unexpected `=` inside an expression",
        "`=` gives a name its value; to compare two values in a condition use `==`",
        ("let a = if(b = 1, 2, 3)", "let a = b = c", "parameter a = 1 = 2"),
    ),
    "missing_operator": SyntaxMessage(
        "expected an operator, `,` or the end of the line, found {found}",
        "write `2*x` for a product (there is no implicit multiplication); "
        "separate declarations on one line with `,`",
        (
            "let a = 2 x",
            "let a = b c",
            "parameter a = 1 b = 2",
            "let a = (b) (c)",
            "let a = sin(x) y",
            "simulate t = [0, 1] method = tsit5",
            "der(x) = -x y",
        ),
    ),
    "header_end": SyntaxMessage(
        "expected the end of the `model` line, found {found}",
        'write `model name "an optional doc string"`',
        ('model m "doc" extra', "model m m", 'model m "a" "b"', "model m = 1", "model m(x)"),
    ),
    "missing_comma": SyntaxMessage(
        "expected an operator, `,` or `)`, found {found}",
        "write `2*x` for a product (there is no implicit multiplication); "
        "separate a function's arguments with `,`, e.g. `max(a, b)`",
        ("let a = max(b c)", "let a = max(b, c d)", "let a = if(b > 0, 1 2)", "let a = (b c)"),
    ),
    "paren_comma": SyntaxMessage(
        "expected `)`, found {found}",
        "parentheses group one expression; to pass several values, call a function, e.g. `max(a, b)`",
        ("let a = (b, c)", "let a = 2*(b, c)"),
    ),
    "interval": SyntaxMessage(
        "a time interval is written `[start, end]`; found {found}",
        "write e.g. `simulate t = [0, 20]`",
        ("simulate t = [0]", "simulate t = [0 1]", "simulate t = [0, 1, 2]", "simulate t = [0, 1 2]"),
    ),
    "reaction_arrow": SyntaxMessage(
        "expected `->` or `<->` between the reactants and the products, found {found}",
        "write `reaction A + B -> C, k` (or `<->` for a reversible reaction); species on one side are joined by `+`",
        (
            "reaction A B, k",
            "reaction A, k",
            "reaction A --> B, k",
            "reaction A <- B, k",
            "reaction A = B, k",
            "reaction A + B C -> D, k",
            "reaction 2A B -> C, k",
            "reaction r1: A B, k",
            "reaction A\n",
        ),
    ),
    "reaction_species": SyntaxMessage(
        "expected a species, found {found}",
        _REACTION_SIDE,
        (
            "reaction -> B, k",
            "reaction A -> , k",
            "reaction A + -> B, k",
            "reaction A -> B +, k",
            "reaction A -> (B), k",
            "reaction\n",
            "reaction r1: : A -> B, k",
            "reaction r1: -> B, k",
            "reaction 2*A -> B, k",
            "reaction 2 3 -> B, k",
            "reaction A -> 2*B, k",
            "reaction A -> \n",
            "reaction - -> B, k",
        ),
    ),
    "reaction_end": SyntaxMessage(
        "expected `+`, or `,` and the rate, after the products; found {found}",
        "write the rate constant after a comma: `reaction A -> B + C, k` (or `rate = <expression>`)",
        ("reaction A -> B k", "reaction A -> B C, k", "reaction A -> B -> C, k", "reaction A -> B = 2",
         "reaction A -> 2B k", "reaction r1: A -> B C, k"),
    ),
    "unclosed": SyntaxMessage(
        "`{found}` is never closed",
        "add the matching closing bracket; a statement may go on over several lines only inside ( ) or [ ]",
        ("let a = (b + c", "let a = sin(b", "let a = max(b, c\n", "simulate t = [0, 1", "let a = ((b)\nlet c = 1"),
    ),
    "unmatched": SyntaxMessage(
        "unmatched `{found}`",
        "remove it, or add the opening bracket it should close",
        ("let a = b)", "let a = (b))", "let a = sin(b))", "parameter a = 1]", "der(x)) = 1"),
    ),
    "unterminated_string": SyntaxMessage(
        "the doc string is not closed",
        'close it with `"` on the same line',
        ('model m "doc',),
    ),
    "bad_character": SyntaxMessage(
        "unexpected character `{found}`",
        "names use ASCII letters, digits and `_`; operators are + - * / ^ ** and comparisons < <= > >= == !=",
        ("let a = b $ c", "let a = b @ c", "let λ = 1", "let a = b ! c"),
    ),
}

_TOKEN_NAMES = {
    "NAME": "name",
    "NUMBER": "number",
    "STRING": "string",
    "COMP_OP": "comparison",
    "FUTURE_KEYWORD": "keyword",
}
_SHOWN = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": "a doc string",
    "COMP_OP": "a comparison",
    "_NL": "end of line",
    "$END": "end of file",
    "FUTURE_KEYWORD": None,
    "ARROW": "`->` or `<->`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "COLON": "`:`",
    "PLUS": "`+`",
    "MINUS": "`-`",
    "STAR": "`*`",
    "SLASH": "`/`",
    "POW": "`^`",
}
_VALUE_START = {"NUMBER", "MINUS", "LPAR"}
_CLOSING = {"RPAR": ")", "RSQB": "]"}
_AFTER_VALUE = {"": "missing_operator", "(": "missing_comma", "[": "interval"}
_STATEMENT_TOKENS = {
    "MODEL", "PARAMETER", "STATE", "SPECIES", "LET", "DER", "OBSERVE", "REACTION", "SIMULATE", "FUTURE_KEYWORD",
}

Bracket = tuple[str, int, int]


def describe_token(token) -> str:
    """A token as a message shows it: ``name `x` ``, ``end of line``, ``end of file`` or `` `+` ``."""
    if token.type == "$END":
        return "end of file"
    if token.type == "_NL":
        return "end of line"
    if token.type in _TOKEN_NAMES:
        return f"{_TOKEN_NAMES[token.type]} `{token}`"
    return f"`{token}`"


def describe(
    err: UnexpectedInput,
    parse: Callable[[str], object],
    open_brackets: list[Bracket] = (),
) -> tuple[str, str, str]:
    """Pick the message for a lark error.

    Args:
        err: what lark raised.
        parse: the whole-file parse function, used to run the examples once.
        open_brackets: ``(bracket, line, col)`` of the brackets still open where
            the error occurred, innermost last.

    Returns:
        ``(label, message, hint)``.
    """
    label, found = _label(err, parse, list(open_brackets))
    entry = SYNTAX_ERRORS.get(label)
    if entry is None:
        return "unexpected", f"unexpected {found}", "expected " + " or ".join(_expected_names(err))
    return label, entry.message.format(found=found), entry.hint


def unclosed_bracket(err: UnexpectedInput, open_brackets: list[Bracket]) -> Bracket | None:
    """The bracket an error shows to be never closed: the statement ended while it was open."""
    token = getattr(err, "token", None)
    if open_brackets and token is not None and (token.type == "$END" or token.type in _STATEMENT_TOKENS):
        return open_brackets[-1]
    return None


def _label(err: UnexpectedInput, parse, open_brackets: list[Bracket]) -> tuple[str, str]:
    if isinstance(err, UnexpectedCharacters):
        return ("unterminated_string" if err.char == '"' else "bad_character"), err.char
    unclosed = unclosed_bracket(err, open_brackets)
    if unclosed is not None:
        return "unclosed", unclosed[0]
    token = err.token
    if token.type in _CLOSING and not open_brackets:
        return "unmatched", str(token)
    position = err.state.position
    expected = _expected(err)
    table = _table(parse)
    label = table.get((position, token.type)) or _by_rule(expected, token) or table.get((position, None), "unexpected")
    if label == "reaction_arrow" and _after_arrow(err):
        # Reactant and product sides share their LALR states.
        label = "reaction_end"
    if label in _AFTER_VALUE.values():
        # Two values in a row fail in one LALR state wherever they are; the
        # innermost open bracket tells a statement, an argument list and an interval apart.
        label = _AFTER_VALUE[open_brackets[-1][0] if open_brackets else ""]
    return label, describe_token(token)


def _after_arrow(err: UnexpectedToken) -> bool:
    """Whether the statement being parsed has passed a reaction arrow."""
    stack = getattr(err.state, "value_stack", ())
    return any(getattr(v, "type", None) == "ARROW" for v in stack)


def _expected(err: UnexpectedToken) -> set[str]:
    """The terminals the parser state accepts (lark's ``expected`` may list lexer fallbacks)."""
    return set(err.state.parse_conf.states[err.state.position])


def _by_rule(expected: set[str], token) -> str | None:
    """Generic labels from what the parser state expected."""
    if "LET" in expected:
        return "statement_start"
    if "STRING" in expected:
        return "header_end"
    if _VALUE_START <= expected:
        return "incomplete" if token.type in ("_NL", "$END") else "operand_expected"
    if token.type == "EQUAL":
        return "use_double_equals"
    if expected == {"EQUAL"}:
        return "missing_equals"
    if "NAME" in expected and "NUMBER" not in expected:
        return "name_expected"
    if {"PLUS", "STAR"} <= expected:
        return "missing_operator"
    return None


# Chosen from the brackets open at the error or from the character, not the parser state.
_CONTEXT_LABELS = {"unclosed", "unmatched", "unterminated_string", "bad_character"}
_EXAMPLE_TABLE: dict[tuple[object, str | None], str] = {}


def _table(parse) -> dict[tuple[object, str | None], str]:
    """``(LALR state, token type or None) -> label``, built once from the examples."""
    if not _EXAMPLE_TABLE:
        for label, entry in SYNTAX_ERRORS.items():
            if label in _CONTEXT_LABELS:
                continue
            for example in entry.examples:
                try:
                    parse(example)
                except UnexpectedToken as ex:
                    _EXAMPLE_TABLE.setdefault((ex.state.position, ex.token.type), label)
                    _EXAMPLE_TABLE.setdefault((ex.state.position, None), label)
                except UnexpectedInput:
                    pass
    return _EXAMPLE_TABLE


def _expected_names(err: UnexpectedInput) -> list[str]:
    names = []
    for name in sorted(_expected(err)) if isinstance(err, UnexpectedToken) else ():
        if name[:1].islower():  # a grammar rule, not a token
            continue
        shown = _SHOWN.get(name, f"`{name.lower()}`")
        if shown:
            names.append(shown)
    return names or ["something else"]
