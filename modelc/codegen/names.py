"""Validated Python identifiers for the names used in generated code."""

from __future__ import annotations

import builtins
import keyword
import re

__all__ = ["IDENTIFIER", "RESERVED_IN_GENERATED_CODE", "python_names", "check_identifier"]

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Names the generated module itself uses; a user name equal to one of these is
# renamed (with a trailing underscore) so that it cannot shadow them.
RESERVED_IN_GENERATED_CODE = frozenset(
    {"jnp", "jax", "t", "state", "parameter", "given", "runtime", "externals", "_shaped"}
) | frozenset(dir(builtins))


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain ASCII identifier, else raise ValueError."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a valid identifier for generated code")
    return name


def python_names(user_names: list[str]) -> dict[str, str]:
    """Map each user name to a distinct, safe Python identifier.

    Names that are Python keywords or collide with what generated code uses
    get trailing underscores until they are free; all others are kept as is.
    """
    taken = set(user_names) | RESERVED_IN_GENERATED_CODE
    mapping: dict[str, str] = {}
    for name in user_names:
        check_identifier(name)
        py = name
        if keyword.iskeyword(py) or keyword.issoftkeyword(py) or py in RESERVED_IN_GENERATED_CODE:
            py = name + "_"
            while py in taken or keyword.iskeyword(py):
                py += "_"
            taken.add(py)
        mapping[name] = py
    return mapping
