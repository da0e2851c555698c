"""The importer's record of one SBML id (`modelc.io.sbml`)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImportedSymbol"]


@dataclass
class ImportedSymbol:
    """One SBML id in the model: its role and trees."""

    sbml_id: str
    kind: str   # compartment | species | parameter | local | reaction | stoich | amount | total
    element: object
    role: str = "parameter"   # parameter | state (with or without der) | let | absent
    name: str = ""            # model name of its value in equations
    value: object = None      # default / initial tree (None: not given)
    rule: object = None       # assignment-rule tree (role let) or kinetic law
    rate: object = None       # rate-rule tree
    unit: str | None = None   # species: amount | concentration
    comment: str = ""
    extra: dict = field(default_factory=dict)
