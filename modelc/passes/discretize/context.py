"""What the discretize pass knows about a model's grid and names, and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from ...errors import Diagnostic, ModelError, Span
from ...ir import Domain, Model

__all__ = ["Grid", "fail"]


@dataclass
class Grid:
    """The axes of a field model and the names in its expressions.

    ``pads`` collects the ghost-padded copies that finite differences need, as
    ``(symbol name, source name, axis, ghosts)``; `pad_symbol` adds one, named
    ``_pad<i>`` with the first ``i`` that no other pad and no model name uses.
    """

    model: Model
    domains: dict[str, Domain]
    fields: set[str]
    pads: list[tuple[str, str, str, int]] = field(default_factory=list)

    @classmethod
    def of(cls, model: Model) -> Grid:
        """The grid of ``model`` (its domains in declaration order)."""
        return cls(model, {d.name: d for d in model.domains}, set(model.field_names))

    @property
    def all_spectral(self) -> bool:
        """True when every axis is periodic and spectral (the Fourier symbol is defined)."""
        return all(d.method == "spectral" for d in self.domains.values())

    def is_field(self, s: sympy.Basic) -> bool:
        """True for the symbol of a field."""
        return isinstance(s, sympy.Symbol) and s.name in self.fields

    def is_coordinate(self, s: sympy.Basic) -> bool:
        """True for the symbol of a domain axis."""
        return isinstance(s, sympy.Symbol) and s.name in self.domains

    def pad_symbol(self, source: str, axis: str, ghosts: int) -> sympy.Symbol:
        """The symbol of ``source`` (a field or coordinate) padded by ``ghosts`` points along ``axis``."""
        for name, src, ax, g in self.pads:
            if (src, ax, g) == (source, axis, ghosts):
                return sympy.Symbol(name)
        taken = {p[0] for p in self.pads} | set(self.model.declared_names)
        i = len(self.pads)
        while f"_pad{i}" in taken:
            i += 1
        self.pads.append((f"_pad{i}", source, axis, ghosts))
        return sympy.Symbol(f"_pad{i}")


def fail(model: Model, span: Span | None, message: str, hint: str = "") -> None:
    """Raise a `ModelError` at ``span`` of ``model``'s source."""
    raise ModelError([Diagnostic(span, message, hint)], source=model.source)
