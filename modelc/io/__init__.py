"""Import and export of other model formats.

- `modelc.io.sbml`: SBML (levels 2 and 3) to modelc model text
  (`sbml_to_model_text`, `translate_sbml`); needs python-libsbml.
- `modelc.io.sbml_cases`: run one SBML Test Suite case (`simulate_case`).

The ``modelc import`` command is `modelc.cli.import_sbml`.
"""

from __future__ import annotations

__all__ = ["sbml_to_model_text", "translate_sbml", "simulate_case"]


def __getattr__(name):
    import importlib

    homes = {"sbml_to_model_text": "sbml", "translate_sbml": "sbml",
             "simulate_case": "sbml_cases"}
    if name in homes:
        return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
