"""Names for imported identifiers: keep valid ones, rename reserved ones uniquely."""

from __future__ import annotations

import re

__all__ = ["RESERVED", "Namer"]

#: Words that can never name a parameter, state, let or observable.
RESERVED = frozenset(
    "t pi I model parameter state species let der observe reaction domain field boundary "
    "external simulate and or not if".split()
)

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Namer:
    """Allocates model names that are valid, unreserved and unique.

    Call `keep` for every foreign identifier first (those that are already
    fine keep their spelling), then `rename` for the ones `keep` refused and
    `fresh` for generated names; neither takes a name kept for another id.
    """

    def __init__(self):
        self.taken: set[str] = set()

    def keep(self, ident: str) -> bool:
        """Take ``ident`` as its own name if it is valid, unreserved and free."""
        if _NAME.match(ident) and ident not in RESERVED and ident not in self.taken:
            self.taken.add(ident)
            return True
        return False

    def rename(self, ident: str) -> str:
        """A new name for an identifier that `keep` refused (``t`` -> ``t_``)."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", ident) or "x"
        if base[0].isdigit():
            base = "_" + base
        return self.fresh(base + "_")

    def fresh(self, base: str) -> str:
        """``base`` if free, else ``base_2``, ``base_3``, ... (the result is taken)."""
        if not _NAME.match(base):
            base = re.sub(r"[^A-Za-z0-9_]", "_", base)
            if not base or base[0].isdigit():
                base = "_" + base
        name, i = base, 2
        while name in self.taken or name in RESERVED:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name
