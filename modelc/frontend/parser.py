"""Model file text -> `modelc.ir.Model`.

The syntax lives in ``grammar/modelc.lark`` (found by `grammar_path`, shipped
inside the wheel as ``modelc/grammar/modelc.lark``); lark's LALR parser reads it
once per process. `ModelTransformer` builds SymPy expressions from the tree (user
text never reaches ``sympify``, ``eval`` or ``exec``), `check.check` finds the
semantic problems, and `parse_source` assembles the IR. Every problem found
becomes a `Diagnostic`; all of them are raised together in one `ModelError`.

After a syntax error the file is parsed again statement by statement (a
statement is a line, its continuation lines inside open brackets, and any
comment lines; a line starting with a statement keyword always starts a new
one), so that independent syntax errors are all reported.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import sympy
from lark import Lark
from lark.exceptions import UnexpectedInput, VisitError

from .. import ir
from ..errors import Diagnostic, ModelError, Span
from ..gcpause import relaxed_collection
from ..resources import grammar_path
from .check import check, simulate_options
from .check_events import build_events
from .check_fields import build_fields
from .check_reactions import build_reactions
from .syntax import EVENT_WORDS, STATEMENT_WORDS, Program
from .syntax_errors import Bracket, describe, unclosed_bracket
from .transform_events import EventTransformer

__all__ = ["grammar_path", "parse_source", "parse_file", "parse_program"]

_OPEN = {"(": ")", "[": "]"}
_CLOSE = {")", "]"}
_BLANK = re.compile(r"(\s*(#[^\n]*)?\n)*")
_STATEMENT_LINE = re.compile(r"[ \t\f]*(?:" + "|".join(sorted(STATEMENT_WORDS | EVENT_WORDS)) + r")\b")


class _BracketNewlines:
    """Lark post-lexer: drops newlines inside ( ) and [ ], so statements continue there."""

    always_accept = ("_NL", "NAME")

    def process(self, stream):
        depth = 0
        for tok in stream:
            if tok.type in ("LPAR", "LSQB"):
                depth += 1
            elif tok.type in ("RPAR", "RSQB"):
                depth = max(depth - 1, 0)
            elif tok.type == "_NL" and depth:
                continue
            yield tok


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        postlex=_BracketNewlines(),
        propagate_positions=True,
        maybe_placeholders=True,
        cache=_grammar_cache(),
    )


def _grammar_cache() -> str | bool:
    """Where lark keeps its analysis of the grammar between processes (a file in the
    modelc cache folder; lark rebuilds it when the grammar's hash differs), or False."""
    from ..cache import cache_dir

    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return str(cache_dir() / "grammar.lark-cache")


def _parse_tree(text: str):
    return _parser().parse(text)


# ---- public API ---------------------------------------------------------------------


@relaxed_collection   # `modelc check` of a large file (modelc.gcpause)
def parse_source(text: str, file: str = "<string>") -> ir.Model:
    """Parse and check the text of a model file.

    Args:
        text: the model file's contents.
        file: the name shown in error messages and kept in the spans.

    Returns:
        the model's IR.

    Raises:
        ModelError: with every independent problem in the file, in source order.
    """
    text = text.removeprefix("\ufeff")
    program, diags = parse_program(text, file)
    if program is not None and not diags:
        diags = check(program)
    if diags:
        raise ModelError(diags, source=text)
    return _build(program)


def parse_file(path: str | Path) -> ir.Model:
    """Read a ``.model`` file (UTF-8) and parse it with `parse_source`.

    Args:
        path: the file to read.

    Returns:
        the model's IR; its spans name ``path``.

    Raises:
        ModelError: for problems in the file, including text that is not UTF-8.
        OSError: when the file cannot be read.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise ModelError(
            Diagnostic(Span(str(path), line, col), "the file is not valid UTF-8 text", "save the file as UTF-8")
        ) from None
    return parse_source(text, str(path))


def parse_program(text: str, file: str = "<string>") -> tuple[Program | None, list[Diagnostic]]:
    """Parse without the semantic checks.

    Args:
        text: the model file's contents.
        file: the name kept in spans.

    Returns:
        ``(program, diagnostics)``: the statements (``None`` after a syntax
        error) and the problems found while parsing and building expressions.
    """
    try:
        tree = _parse_tree(text)
    except UnexpectedInput as whole_file_error:
        return None, _syntax_diagnostics(text, file, whole_file_error)
    return _transform(tree, text, file)


# ---- helpers --------------------------------------------------------------------


def _transform(
    tree, text: str, file: str, line_offset: int = 0, lines: list[str] | None = None,
    externals: dict | None = None,
) -> tuple[Program | None, list[Diagnostic]]:
    # (each search walks the whole tree; neither can find anything without its word)
    if externals is None:
        externals = _externals(tree, line_offset) if "external" in text else {}
    real_names = _real_names(tree) if "complex" in text else None
    transformer = EventTransformer(file, text, line_offset, lines, real_names=real_names,
                                   externals=externals)
    try:
        program = transformer.transform(tree)
    except VisitError as exc:
        if not isinstance(exc.orig_exc, RecursionError):
            raise
        meta = getattr(exc.obj, "meta", None)
        span = Span(file, getattr(meta, "line", 1) + line_offset, getattr(meta, "column", 1))
        return None, [Diagnostic(span, "this expression is nested too deeply", "split it up with `let`")]
    return program, transformer.diagnostics


def _real_names(tree) -> set[str] | None:
    """None when the file has no complex field (every name is real); else the names known
    to be real (parameters and domain axes), so that the others carry no real assumption."""
    typed = [t for t in tree.find_data("typed_field") if str(t.children[1]) == "complex"]
    if not typed:
        return None
    names = {"t"}
    for decl in tree.find_data("parameter_decl"):
        names |= {str(b.children[0]) for b in decl.children if getattr(b, "data", None) == "binding"}
    names |= {str(d.children[0]) for d in tree.find_data("domain_decl")}
    return names


def _externals(tree, line_offset: int = 0) -> dict[str, tuple[int, int, int]]:
    """``external`` declarations found anywhere in the tree: name -> (arity, line, col)."""
    found: dict[str, tuple[int, int, int]] = {}
    for decl in tree.find_data("external_decl"):
        name, *params = decl.children
        arity = len([p for p in params if p is not None])
        found.setdefault(str(name), (arity, name.line + line_offset, name.column))
    return found


def _chunks(lines: list[str]) -> list[tuple[int, str]]:
    """Split the lines into statements: ``(lines before it, its text)`` for each.

    A new statement starts on a line outside brackets or on a line that starts
    with a statement keyword (a missing `)` must not swallow the next statement).
    Blank and comment-only lines are left out.
    """
    starts: list[int] = []
    stack: list[Bracket] = []
    for number, line in enumerate(lines, start=1):
        if not stack or _STATEMENT_LINE.match(line):
            stack = []
            starts.append(number)
        _scan_brackets(line, number, stack)
    ends = [*starts[1:], len(lines) + 1]
    chunks = [(a - 1, "\n".join(lines[a - 1 : b - 1]) + "\n") for a, b in zip(starts, ends)]
    return [(offset, chunk) for offset, chunk in chunks if not _BLANK.fullmatch(chunk)]


def _brackets_before(text: str, line: int, col: int) -> list[Bracket]:
    """The brackets open just before ``line:col`` of ``text``, innermost last."""
    stack: list[Bracket] = []
    for number, content in enumerate(text.split("\n")[:line], start=1):
        _scan_brackets(content if number < line else content[: col - 1], number, stack)
    return stack


def _scan_brackets(line: str, number: int, stack: list[Bracket]) -> None:
    """Update the stack of open brackets with one line, skipping comments and strings."""
    in_string = False
    escaped = False
    for col, ch in enumerate(line, start=1):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#":
            return
        elif ch in _OPEN:
            stack.append((ch, number, col))
        elif ch in _CLOSE and stack:
            stack.pop()


def _syntax_diagnostics(text: str, file: str, whole_file_error: UnexpectedInput) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    syntax_errors = 0
    lines = text.split("\n")
    parsed = []
    for offset, chunk in _chunks(lines):
        try:
            parsed.append((offset, _parse_tree(chunk)))
        except UnexpectedInput as err:
            diags.append(_syntax_diagnostic(err, file, chunk, offset))
            syntax_errors += 1
    externals: dict = {}
    for offset, tree in parsed:  # calls of externals declared in other statements
        for name, found in _externals(tree, offset).items():
            externals.setdefault(name, found)
    for offset, tree in parsed:
        diags += _transform(tree, text, file, offset, lines, externals)[1]
    if not syntax_errors:
        diags.append(_syntax_diagnostic(whole_file_error, file, text))
    return diags


def _syntax_diagnostic(err: UnexpectedInput, file: str, text: str, line_offset: int = 0) -> Diagnostic:
    """One syntax error as a diagnostic.

    ``text`` is what was parsed (positions refer to it): the file, or one
    statement that starts after ``line_offset`` lines of the file.
    """
    token = getattr(err, "token", None)
    if token is None:
        brackets = _brackets_before(text, err.line, err.column)
    elif token.type == "$END":
        brackets = _brackets_before(text, 1 << 30, 1)
    else:
        brackets = _brackets_before(text, token.line, token.column)
    _, message, hint = describe(err, _parse_tree, brackets)
    unclosed = unclosed_bracket(err, brackets)
    if unclosed:
        line, col, end_col = unclosed[1], unclosed[2], unclosed[2] + 1
    elif token is None:
        line, col, end_col = err.line, err.column, err.column + 1
    elif token.type == "$END":
        line, col, end_col = token.end_line or 1, token.end_column or 1, None
    elif token.type == "_NL":
        line, col, end_col = token.line, token.column, None
    else:
        line, col = token.line, token.column
        end_col = token.end_column if token.end_line == token.line else None
    return Diagnostic(Span(file, line + line_offset, col, end_col), message, hint)


def _build(program: Program) -> ir.Model:
    """Assemble the IR from a program that passed the checks."""
    header = program.headers[0] if program.headers else None
    states = [ir.State(d.name, d.expr, d.span, array=d.name in program.array_states)
              for d in program.of_kind("state")]
    ders = {d.state: ir.Derivative(d.state, d.expr, d.span) for d in program.ders}
    return ir.Model(
        name=header.name if header else _default_name(program.file),
        doc=header.doc if header else None,
        parameters=tuple(ir.Parameter(d.name, d.expr, d.span) for d in program.of_kind("parameter")),
        states=tuple(states),
        lets=tuple(ir.Let(d.name, d.expr, d.span) for d in program.of_kind("let")),
        observes=tuple(ir.Observe(d.name, d.expr, d.span) for d in program.of_kind("observe")),
        derivatives=tuple(ders.get(s.name) or ir.Derivative(s.name, sympy.Integer(0), s.span) for s in states),
        simulate=simulate_options(program)[0],
        file=program.file,
        source=program.source,
        species=tuple(ir.Species(d.name, d.expr, d.span) for d in program.of_kind("species")),
        reactions=build_reactions(program),
        externals=tuple(ir.External(d.name, int(d.expr), d.span,
                                      program.external_arguments.get(d.name, ())) for d in program.of_kind("external")),
        **build_fields(program),
        **build_events(program),
    )


def _default_name(file: str) -> str:
    """A model without a ``model`` line is named after its file (``model`` for a string)."""
    stem = re.sub(r"[^A-Za-z0-9_]", "_", Path(file).stem) if not file.startswith("<") else ""
    if not stem or stem[0].isdigit():
        stem = "model_" + stem if stem else "model"
    return stem
