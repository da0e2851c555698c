"""Errors raised by modelc.

`ModelcError` is the root of every error modelc raises on purpose, so one
``except modelc.ModelcError`` catches them all. `ModelError` is a problem in a
user's model file: it carries one or more `Diagnostic`s, each naming
``file:line:col``, the offending source line and a caret under the culprit,
and a hint saying what to do next. `SolveError` is a solve that cannot be set
up (a bad option, an unknown name, a value of the wrong kind); it is also a
`ValueError`, as lark's errors are, so existing ``except ValueError`` code
keeps catching it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Span", "Diagnostic", "ModelcError", "ModelError", "SolveError"]


@dataclass(frozen=True)
class Span:
    """A position in a source file; lines and columns are 1-based."""

    file: str
    line: int
    col: int
    end_col: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a model: where, what, and what to do about it."""

    span: Span | None
    message: str
    hint: str = ""

    def render(self, source: str | None) -> str:
        """Format as ``file:line:col: error: message``, the line, a caret and the hint."""
        if self.span is None:
            head = f"error: {self.message}"
            return head + (f"\n  hint: {self.hint}" if self.hint else "")
        lines = [f"{self.span}: error: {self.message}"]
        text_line = _source_line(source, self.span.line)
        if text_line is not None:
            width = 1
            if self.span.end_col is not None and self.span.end_col > self.span.col:
                width = self.span.end_col - self.span.col
            prefix = f"{self.span.line:>4} | "
            lines.append(prefix + text_line)
            caret_pad = "".join(ch if ch == "\t" else " " for ch in text_line[: self.span.col - 1])
            lines.append(" " * (len(prefix) - 2) + "| " + caret_pad + "^" * width)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def _source_line(source: str | None, line: int) -> str | None:
    if source is None:
        return None
    # Split on "\n" only, as the parser counts lines (str.splitlines also splits
    # on form feeds and other separators, which would shift the line shown).
    all_lines = source.split("\n")
    if 1 <= line <= len(all_lines):
        return all_lines[line - 1].rstrip("\r")
    return None


class ModelcError(Exception):
    """The root of the errors modelc raises on purpose (`ModelError`, `SolveError`)."""


class ModelError(ModelcError):
    """A problem in a model file, reported with positions, source lines and carets.

    Attributes:
        diagnostics: every problem found, in source order.
        source: the text of the model file, used to show the offending lines.
    """

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, source: str | None = None):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = sorted(
            diagnostics,
            key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0),
        )
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        """All diagnostics, formatted for a terminal."""
        parts = [d.render(self.source) for d in self.diagnostics]
        if len(parts) > 1:
            parts.append(f"{len(parts)} errors found")
        return "\n\n".join(parts)


class SolveError(ModelcError, ValueError):
    """A solve could not be set up (bad options, unknown names in params or y0, values
    of the wrong kind); the message names the argument. Also a `ValueError`."""
