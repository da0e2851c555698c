"""An SBML file loaded as a model whose solutions answer to SBML ids.

`modelc.load` compiles an SBML file's translated text like any model and wraps
it in an `SbmlModel` so that
``sol[sbml_id]`` works for every compartment, species, parameter and species
reference with a value: states and assignment-rule observables by their model
name (``sol["I"]`` for the id ``I``, held as ``I_``), and constants (boundary or
constant species, parameters, fixed compartments) as constant columns at the
values the solve used. Everything else is the wrapped `modelc.CompiledModel`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..solution import Solution

__all__ = ["SbmlModel", "SbmlSolution"]


@dataclasses.dataclass(frozen=True)
class SbmlSolution(Solution):
    """A `Solution` that also answers to the SBML ids of the model it came from.

    Attributes:
        sbml: SBML id -> (model name, role): role ``parameter`` for constants.
        constants: the parameter values the solve used, by model name.
    """

    sbml: dict = dataclasses.field(default_factory=dict)
    constants: dict = dataclasses.field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        """A state, observable or (by SBML id) any quantity of the SBML model over time."""
        if name in self.sbml:
            model_name, role = self.sbml[name]
            if role == "parameter":
                return np.full(np.shape(self.t), self.constants[model_name], dtype=float)
            return super().__getitem__(model_name)
        return super().__getitem__(name)


class SbmlModel:
    """A compiled SBML model: `solve` returns `SbmlSolution`s; the rest is the
    `modelc.CompiledModel` (``model.compiled``) and the `SbmlTranslation`
    (``model.translation``)."""

    def __init__(self, compiled, translation):
        self.compiled = compiled
        self.translation = translation

    def __getattr__(self, name):
        return getattr(self.compiled, name)

    def solve(self, *args, **kwargs) -> SbmlSolution:
        """`modelc.CompiledModel.solve`, with every SBML id answerable in the solution."""
        sol = self.compiled.solve(*args, **kwargs)
        values = self.compiled.resolved_values(kwargs.get("params"))
        sbml = {q.sbml_id: (q.name, q.role) for q in self.translation.quantities.values()}
        fields = {f.name: getattr(sol, f.name) for f in dataclasses.fields(Solution)}
        return SbmlSolution(**fields, sbml=sbml,
                            constants={k: v for k, v in values.items() if np.ndim(v) == 0})
