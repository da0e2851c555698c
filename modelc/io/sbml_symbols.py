"""The importer's records (`modelc.io.sbml`): one SBML id while importing, and the result."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImportedSymbol", "Quantity", "SbmlTranslation"]


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


@dataclass(frozen=True)
class Quantity:
    """Where the value of one SBML compartment, species or parameter lives in the model.

    Attributes:
        sbml_id: the SBML identifier.
        kind: ``compartment``, ``species`` or ``parameter``.
        name: the model name that holds its value.
        role: ``state``, ``observe`` (an assignment rule) or ``parameter``.
        unit: for species, ``amount`` or ``concentration`` (what ``name`` holds).
        compartment: for species, the model name of its compartment's size
            (None when the compartment has no size, e.g. 0-dimensional).
    """

    sbml_id: str
    kind: str
    name: str
    role: str
    unit: str | None = None
    compartment: str | None = None


@dataclass
class SbmlTranslation:
    """The result of importing an SBML file.

    Attributes:
        text: the model file text.
        names: SBML id -> model name (local parameters as ``"reaction.param"``,
            reactions -> the let holding their rate).
        quantities: SBML id -> `Quantity`, for every compartment, species and
            global parameter that has a value.
        level, version: of the SBML document.
        stiff: fast reactions are simulated, much faster than the rest
            (`modelc.io.sbml_events.FAST_SCALE`): solve with a stiff method.
    """

    text: str
    names: dict[str, str]
    quantities: dict[str, Quantity]
    level: int
    version: int
    stiff: bool = False
