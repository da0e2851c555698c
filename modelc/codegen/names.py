"""The two namespaces of a generated module: the model's names and modelc's own.

A model name (a parameter, state, let, field, domain, external, a constant
the simplify pass hoisted, a ghost-padded copy of the discretize pass) may be
any ASCII identifier, so any plain name the generated code uses for itself
(``jnp``, ``parameter``, ``with_constants``, ``N_PARAMETERS``, ``fieldops``,
``_dtype``, ...) is also a name a model or an SBML file can declare. The two
are kept apart by construction, not by a list of reserved words:

- every model name is printed with one trailing underscore (``sigma`` ->
  ``sigma_``, ``lambda`` -> ``lambda_``, ``jnp`` -> ``jnp_``): distinct names
  stay distinct and none is a Python keyword;
- every name modelc introduces (imports, arguments, module-level names,
  temporaries) ends in a letter or a digit, never in ``_``
  (`Namespace.fresh` guarantees it for names derived from model names).

The time ``t`` is the language's own reserved name and is printed as ``t``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import sympy

from ..ir import TIME

__all__ = ["IDENTIFIER", "Namespace", "check_identifier", "python_name", "python_names"]

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain ASCII identifier, else raise ValueError."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a valid identifier for generated code")
    return name


def python_name(name: str) -> str:
    """The identifier that generated code uses for the model name ``name``: ``name_``."""
    return check_identifier(name) + "_"


def python_names(names: Iterable[str]) -> dict[str, str]:
    """Map each model name to its identifier in generated code (`python_name`)."""
    return {name: python_name(name) for name in names}


class Namespace:
    """The identifiers of one generated module.

    ``map`` sends each model name to its printed identifier (and the time to
    ``t``); `fresh` hands out modelc's own names, which never end in ``_`` and
    so never equal a printed model name.

    Args:
        names: the model's names (`modelc.ir.Model.declared_names`).
    """

    def __init__(self, names: Iterable[str]):
        self.map = python_names(names)
        self.map[TIME.name] = "t"
        self._taken = set(self.map) | set(self.map.values())

    def fresh(self, base: str) -> str:
        """A new internal identifier: ``base`` itself, or ``base`` with a number
        appended when it is taken or ends in ``_`` (e.g. built from a model name)."""
        name, i = base, 0
        while name in self._taken or name.endswith("_"):
            i += 1
            name = f"{base}{i}"
        self._taken.add(name)
        return name

    def temporaries(self) -> Iterator[sympy.Symbol]:
        """Symbols ``_c0, _c1, ...`` for the common subexpressions of one function
        (local to it: every function starts again at ``_c0``), skipping taken names."""
        i = 0
        while True:
            name = f"_c{i}"
            i += 1
            if name not in self._taken:
                yield sympy.Symbol(name, real=True)
