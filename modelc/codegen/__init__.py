"""Code generation: the model IR -> the source text of a Python module of JAX functions.

`generate_module` picks the generator of the model's kind: `modelc.codegen.fields`
(a discretised field model), `modelc.codegen.arrays` (array states or external
functions) or `modelc.codegen.scalar` (a scalar ODE; a large reaction network with
the structured rhs and Jacobian of `modelc.codegen.network`). All three build their text
from `modelc.codegen.emit` and `modelc.codegen.expressions`, print expressions with
`modelc.codegen.printer`, and keep the model's names apart from their own by the
scheme of `modelc.codegen.names`.
"""

from __future__ import annotations

from ..ir import Model
from ..passes.network_form import network_form, use_structured
from .arrays import generate_array_module
from .fields import generate_field_module
from .network import network_functions
from .printer import UnsupportedExpression
from .scalar import generate_scalar_module

__all__ = ["UnsupportedExpression", "generate_module"]


def generate_module(model: Model, source_hash: str = "") -> str:
    """Return the source text of the generated module for ``model``.

    Args:
        model: the model after the passes (a field model discretised).
        source_hash: the cache key of its source, recorded as ``SOURCE_HASH``.
    Raises:
        UnsupportedExpression: an expression has no JAX form.
    """
    if model.fields:
        return generate_field_module(model, source_hash)
    if model.has_arrays:
        return generate_array_module(model, source_hash)
    form = network_form(model) if use_structured(model) else None
    if form is not None:   # a large reaction network: rates by template, index arrays
        return generate_scalar_module(model, source_hash, lambda ex: network_functions(form))
    return generate_scalar_module(model, source_hash)
