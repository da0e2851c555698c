"""Generate the JAX module of a field model (after `modelc.passes.discretize`).

Besides what `module.generate_module` emits (metadata, ``parameter_vector``,
``initial_state``, ``rhs``, ``observables``), a field module defines:

- ``FIELD_NAMES``, ``AXES``, ``GRID_SHAPE`` and ``STATE_LAYOUT`` (name ->
  ``(offset, shape, complex)`` in the flat, real state vector; a complex field
  stores its real parts, then its imaginary parts);
- ``grid(parameter)``: the 1-D nodes of each axis;
- ``unpack(t, state, parameter)``: every state and field by name, fields on
  the grid with their Dirichlet values in place (complex fields complex);
- the split (``LINEAR_KIND``, ``LINEAR_CONSTANT``; for ``model.split`` of kind
  ``"fourier"`` also ``linear_operator(t, parameter)``, the concatenated Fourier
  diagonals, ``nonlinear(t, state, parameter)``, the rhs without ``L u``, and
  the transform pair ``forward(state)`` / ``inverse(coefficients)``; for kind
  ``"banded"`` or ``"operator"`` ``linear_apply(t, state, parameter)``, ``L u``
  with homogeneous boundary values, and ``nonlinear = rhs - linear_apply``;
  ``LINEAR_BANDWIDTH`` for ``"banded"``).

The spatial operators are printed as calls of `modelc.fieldops` (FFTs and
stencils). ``STATE_NAMES`` lists the scalar states, then the fields.
"""

from __future__ import annotations

from dataclasses import replace
from math import prod

import sympy

from ..gridshape import fourier_shape
from ..ir import TIME, Model
from ..spatial import SpectralDiff, SpectralLaplacian
from .emit import function, header
from .expressions import Expressions
from .names import Namespace
from .printer import JaxPrinter

__all__ = ["FieldPrinter", "generate_field_module"]


class FieldPrinter(JaxPrinter):
    """`JaxPrinter` that also prints the discrete operators of `modelc.spatial`.

    Args:
        names: symbol name -> Python identifier.
        axes: axis name -> ``(index, spacing name, length name, fd order)``.
        lengths: the length names of all axes, in order.
        weights: the name of the quadrature weights array.
    """

    def __init__(self, names, axes, lengths, weights):
        super().__init__(names)
        self._axes = axes
        self._lengths = lengths
        self._weights = weights

    def _axis(self, symbol):
        return self._axes[symbol.name]

    def _print_SpectralDiff(self, expr):
        value, axis, order = expr.args
        index, _, length, _ = self._axis(axis)
        return f"fieldops.spectral_diff({self._print(value)}, {index}, {int(order)}, {length})"

    def _print_SpectralLaplacian(self, expr):
        return f"fieldops.spectral_laplacian({self._print(expr.args[0])}, ({', '.join(self._lengths)},))"

    def _print_StencilDiff(self, expr):
        value, axis, order = expr.args
        index, h, _, accuracy = self._axis(axis)
        return f"fieldops.stencil_diff({self._print(value)}, {index}, {int(order)}, {accuracy}, {h})"

    def _print_FluxDiv(self, expr):
        index, h, _, _ = self._axis(expr.args[1])
        return f"fieldops.flux_div({self._print(expr.args[0])}, {index}, {h})"

    def _print_Face(self, expr):
        index = self._axis(expr.args[1])[0]
        return f"fieldops.face({self._print(expr.args[0])}, {index})"

    def _print_FaceDiff(self, expr):
        index, h, _, _ = self._axis(expr.args[1])
        return f"fieldops.face_diff({self._print(expr.args[0])}, {index}, {h})"

    def _print_Upwind(self, expr):
        coefficient, padded, axis, ghosts = expr.args
        index, h, _, _ = self._axis(axis)
        return (f"fieldops.upwind({self._print(coefficient)}, {self._print(padded)}, {index}, "
                f"{int(ghosts)}, {h})")

    def _print_GridIntegral(self, expr):
        return f"fieldops.integrate({self._print(expr.args[0])}, {self._weights})"


def generate_field_module(model: Model, source_hash: str = "") -> str:
    """Return the source text of the generated module of a discretised field model.

    With ``discretization.padded_shape`` (``dealias = pad``) the right-hand side
    and the split's nonlinear part are those of the same model on the padded
    grid (``padded_rhs``, ``padded_nonlinear``), entered through
    `fieldops.prolong_state` and left through `fieldops.restrict_state`."""
    gen = _Generator(model)
    if model.discretization.padded_shape:
        return _padded_module(model, gen, source_hash)
    parts = [
        header(model, source_hash, imports=("fieldops", "runtime"),
               state_names=model.state_names + model.field_names),
        gen.metadata(),
        gen.expressions.parameter_vector(),
        gen.grid_function(),
        gen.initial_state(),
        gen.unpack(),
        gen.rhs(),
        gen.observables(),
        gen.split(),
    ]
    return "\n\n".join(parts) + "\n"


def _padded_module(model: Model, gen: _Generator, source_hash: str) -> str:
    """The module of a model dealiased by padding (`generate_field_module`)."""
    shape = model.discretization.padded_shape
    fine = _Generator(replace(model, domains=tuple(replace(d, points=m)
                                                   for d, m in zip(model.domains, shape))))
    enter = "fieldops.prolong_state(state, STATE_LAYOUT, PADDED_LAYOUT)"

    def wrapper(name: str, doc: str) -> str:
        return function(name, ["t", "state", "parameter"], doc, [
            f"return fieldops.restrict_state(padded_{name}(t, {enter}, parameter), PADDED_LAYOUT, "
            "STATE_LAYOUT)"])

    parts = [
        header(model, source_hash, imports=("fieldops", "runtime"),
               state_names=model.state_names + model.field_names),
        gen.metadata(),
        f"PADDED_LAYOUT = {fine.layout!r}",
        gen.expressions.parameter_vector(),
        gen.grid_function(),
        gen.initial_state(),
        gen.unpack(),
        fine.rhs(function_name="padded_rhs"),
        wrapper("rhs", f"The time derivative of the flat state vector, evaluated on the padded "
                       f"grid {shape!r} (dealias = pad)."),
        gen.observables(),
    ]
    info = model.split
    if info is not None and info.kind == "fourier":
        parts += [gen.split(nonlinear=False), fine.rhs(linear=False, function_name="padded_nonlinear"),
                  wrapper("nonlinear", "N = rhs - L*state, evaluated on the padded grid, flat.")]
    else:
        parts.append(gen.split())
    return "\n\n".join(parts) + "\n"


class _Generator:
    """Emits the functions of a field module; one method per function."""

    def __init__(self, model: Model):
        self.model = model
        self.disc = model.discretization
        self.names = Namespace(model.declared_names)
        self.shape = tuple(d.points for d in model.domains)
        self.ndim = len(self.shape)
        axes, lengths = {}, []
        for i, d in enumerate(model.domains):
            h, length = self.names.fresh(f"_h_{d.name}"), self.names.fresh(f"_L_{d.name}")
            axes[d.name] = (i, h, length, d.order)
            lengths.append(length)
        self.axes = axes
        self.weights = self.names.fresh("_w")
        for pad_name, *_ in self.disc.pads:
            self.names.map[pad_name] = self.names.fresh(pad_name)
        self.printer = FieldPrinter(self.names.map, axes, lengths, self.weights)
        self.expressions = Expressions(model, self.names, self.printer)
        self.layout = self._layout()

    # ---- layout --------------------------------------------------------------------

    def _layout(self) -> dict:
        layout, offset = {}, 0
        for s in self.model.states:
            layout[s.name] = (offset, (), False)
            offset += 1
        size = prod(self.shape)
        for f in self.model.fields:
            layout[f.name] = (offset, self.shape, f.complex)
            offset += size * (2 if f.complex else 1)
        self.size = offset
        return layout

    def metadata(self) -> str:
        """Grid and state-layout constants."""
        lines = [
            f"FIELD_NAMES = {self.model.field_names!r}",
            f"AXES = {tuple(d.name for d in self.model.domains)!r}",
            f"GRID_SHAPE = {self.shape!r}",
            f"STATE_LAYOUT = {self.layout!r}",
            f"STATE_SIZE = {self.size!r}",
            f"LINEAR_FIELDS = {tuple(op.field for op in self.disc.linear if op.terms)!r}",
        ]
        return "\n".join(lines)

    # ---- shared preamble --------------------------------------------------------------

    def _p(self, expr) -> str:
        return self.printer.doprint(expr)

    def _parameters(self) -> list[str]:
        return [f"{self.names.map[p.name]} = parameter[{i}]" for i, p in enumerate(self.model.parameters)]

    def _grid_lines(self) -> list[str]:
        lines, weights = [], []
        for i, d in enumerate(self.model.domains):
            _, h, length, _ = self.axes[d.name]
            lo, hi = self._p(d.lower), self._p(d.upper)
            args = f"{lo}, {hi}, {d.points}, {d.periodic}"
            lines.append(f"{self.names.map[d.name]} = fieldops.coordinate({args}, {i}, {self.ndim})")
            lines.append(f"{h} = fieldops.spacing({args})")
            lines.append(f"{length} = ({hi}) - ({lo})")
            weights.append(f"fieldops.weights({args}, {i}, {self.ndim})")
        lines.append(f"{self.weights} = " + " * ".join(weights))
        return lines

    def _unpack_state(self) -> list[str]:
        lines = []
        for name, (offset, shape, is_complex) in self.layout.items():
            py = self.names.map[name]
            if not shape:
                lines.append(f"{py} = state[{offset}]")
                continue
            size = prod(shape)
            real = f"jnp.reshape(state[{offset}:{offset + size}], {shape!r})"
            if is_complex:
                imag = f"jnp.reshape(state[{offset + size}:{offset + 2 * size}], {shape!r})"
                lines.append(f"{py} = jax.lax.complex({real}, {imag})")
            else:
                lines.append(f"{py} = {real}")
        return lines

    def _boundary_lines(self, homogeneous: bool = False) -> list[str]:
        lines = []
        for b in self.model.boundaries:
            if b.kind == "dirichlet":
                py = self.names.map[b.field]
                index = 0 if b.side == "lower" else -1
                value = "0.0" if homogeneous else self._p(b.value)
                lines.append(f"{py} = fieldops.set_boundary({py}, {self.axes[b.axis][0]}, {index}, {value})")
        return lines

    def _pad_lines(self, homogeneous: bool = False, used=None) -> list[str]:
        """The ghost-padded copies (only the pads named in ``used`` when given);
        ``homogeneous``: Neumann slopes 0 (the linear part of the boundary condition)."""
        lines = []
        domains = {d.name: d for d in self.model.domains}
        for pad_name, source, axis, ghosts in self.disc.pads:
            if used is not None and pad_name not in used:
                continue
            index, h, _, order = self.axes[axis]
            target, src = self.names.map[pad_name], self.names.map[source]
            if source == axis:
                lines.append(f"{target} = fieldops.pad_coordinate({src}, {index}, {ghosts}, {h})")
            elif domains[axis].periodic:
                lines.append(f"{target} = fieldops.pad({src}, {index}, {ghosts}, {order})")
            else:
                ends = [self._end(source, axis, side, homogeneous) for side in ("lower", "upper")]
                lines.append(f"{target} = fieldops.pad({src}, {index}, {ghosts}, {order}, "
                             f"{ends[0]}, {ends[1]}, {h})")
        return lines

    def _end(self, field: str, axis: str, side: str, homogeneous: bool = False) -> str:
        for b in self.model.boundaries:
            if (b.field, b.axis, b.side) == (field, axis, side):
                value = "None" if b.kind == "dirichlet" else "0.0" if homogeneous else self._p(b.value)
                return f"({b.kind!r}, {value})"
        raise ValueError(f"no boundary for {field} at the {side} end of {axis}")

    def _prelude(self) -> list[str]:
        return self._parameters() + self._grid_lines() + self._unpack_state() + self._boundary_lines()

    def _assignments(self, outputs: list) -> tuple[list[str], list[str]]:
        """CSE of ``outputs``: assignment lines and the printed outputs."""
        replacements, reduced = self.expressions.reduce(outputs)
        return self.expressions.assignments(replacements), [self._p(e) for e in reduced]

    def _pack(self, values: dict[str, str], dtype: str) -> str:
        parts = []
        scalars = [values[s.name] for s in self.model.states]
        if scalars:
            parts.append("jnp.stack([" + ", ".join(f"jnp.asarray({v})" for v in scalars) + "]).real")
        for f in self.model.fields:
            v = values[f.name]
            if f.complex:
                parts += [f"jnp.real({v}).ravel()", f"jnp.imag({v}).ravel()"]
            else:
                parts.append(f"jnp.asarray({v}).ravel()")
        return "jnp.concatenate([" + ", ".join(f"{p}.astype({dtype}.dtype)" for p in parts) + "])"

    # ---- functions ----------------------------------------------------------------------

    def grid_function(self) -> str:
        """``grid(parameter)``: the nodes of each axis."""
        body = self._parameters() + self._grid_lines()
        items = ", ".join(f"{d.name!r}: jnp.ravel({self.names.map[d.name]})" for d in self.model.domains)
        body.append("return {" + items + "}")
        return function("grid", ["parameter"], "The grid nodes of each axis (1-D arrays), by axis name.", body)

    def initial_state(self) -> str:
        """``initial_state(parameter, given)``."""
        body = self._parameters() + self._grid_lines()
        values = {}
        for s in self.model.states:
            py = self.names.map[s.name]
            body.append(f"{py} = given[{s.name!r}] if {s.name!r} in given else {self._p(s.initial)}")
            values[s.name] = py
        for f in self.model.fields:
            py = self.names.map[f.name]
            dtype = "jnp.complex128 if parameter.dtype == jnp.float64 else jnp.complex64" if f.complex \
                else "parameter.dtype"
            body.append(f"{py} = given[{f.name!r}] if {f.name!r} in given else {self._p(f.initial)}")
            body.append(f"{py} = jnp.broadcast_to(jnp.asarray({py}, dtype={dtype}), {self.shape!r})")
            values[f.name] = py
        body.append("return " + self._pack(values, "parameter"))
        return function("initial_state", ["parameter", "given"],
                        "The flat initial state (see STATE_LAYOUT); `given` overrides states and fields by name.",
                        body)

    def unpack(self) -> str:
        """``unpack(t, state, parameter)``."""
        body = self._prelude()
        items = ", ".join(f"{name!r}: {self.names.map[name]}" for name in self.layout)
        body.append("return {" + items + "}")
        return function("unpack", ["t", "state", "parameter"],
                        "Every state and field by name; fields on the grid with their Dirichlet values.", body)

    def rhs(self, linear: bool = True, function_name: str | None = None) -> str:
        """``rhs(t, state, parameter)``: FFTs and stencils, no matrices; without
        ``linear``, ``nonlinear(t, state, parameter)``: the same with ``L u`` left out
        (``function_name``: another name for the function)."""
        disc = self.disc
        with_linear = dict(disc.nonlinear_rhs) if linear else {}
        nonlinear = dict(disc.nonlinear_rhs)
        field_rhs = [(name, nonlinear.get(name, e)) for name, e in disc.rhs]
        outputs = [e for _, e in disc.state_rhs] + [e for _, e in field_rhs]
        body = self._prelude() + self._pad_lines()
        lines, printed = self._assignments(outputs)
        body += lines
        values = {}
        for (name, _), text in zip(disc.state_rhs + tuple(field_rhs), printed):
            target = self.names.fresh(f"_d_{name}")
            if name in with_linear:
                text = self._spectral_linear(name, text)
            body.append(f"{target} = {text}")
            values[name] = target
        spectral = tuple(i for i, d in enumerate(self.model.domains) if d.method == "spectral")
        for f in self.model.fields:
            target = values[f.name]
            body.append(f"{target} = jnp.broadcast_to({target}, {self.shape!r})")
            if f.name in disc.dealias and f.name not in with_linear:
                body.append(f"{target} = fieldops.dealias({target}, {spectral!r})")
            for b in self.model.boundaries:
                if b.field == f.name and b.kind == "dirichlet":
                    index = 0 if b.side == "lower" else -1
                    body.append(f"{target} = fieldops.zero_boundary({target}, {self.axes[b.axis][0]}, {index})")
        body.append("return " + self._pack(values, "state"))
        if not linear:
            return function(function_name or "nonlinear", ["t", "state", "parameter"],
                            "N = rhs - L*state (L: linear_operator in the basis of forward), flat.", body)
        return function(function_name or "rhs", ["t", "state", "parameter"],
                        "The time derivative of the flat state vector.", body)

    def split(self, nonlinear: bool = True) -> str:
        """The split of a field model's ``model.split`` (module docstring); without
        ``nonlinear`` a Fourier split leaves out ``nonlinear`` and ``nonlinear_hat``
        (the padded module defines its own ``nonlinear``)."""
        info = self.model.split
        if info is not None and info.kind in ("banded", "operator"):
            return self._matrix_free_split(info)
        if info is None or info.kind != "fourier":
            return "LINEAR_KIND = None\nLINEAR_CONSTANT = True"
        lengths = ", ".join(self.axes[d.name][2] for d in self.model.domains)
        ops = {op.field: op for op in self.disc.linear}
        diagonals = []
        for f in self.model.fields:
            terms = ops[f.name].terms if f.name in dict(self.disc.nonlinear_rhs) else ()
            coefficients = "".join(f"{self._p(c)}, " for c, _ in terms)
            orders = "".join(f"{o!r}, " for _, o in terms)
            filtered = f.name in self.disc.dealias
            diagonals.append(f"fieldops.fourier_diagonal({self.shape!r}, ({lengths},), {f.complex!r}, "
                             f"({coefficients}), ({orders}), {filtered!r}, parameter.dtype)")
        body = self._parameters() + self._grid_lines()
        body.append("return jnp.concatenate([" + ", ".join(diagonals) + "])")
        linear = function("linear_operator", ["t", "parameter"],
                          "The diagonal of L in the basis of forward (each field's Fourier symbol), "
                          "complex (real for an even-order real symbol).",
                          body)
        forward = function("forward", ["state"], "The flat state -> concatenated Fourier coefficients of the fields.",
                           ["return fieldops.fourier_forward(state, STATE_LAYOUT)"])
        inverse = function("inverse", ["coefficients"], "Concatenated Fourier coefficients -> the flat state.",
                           ["return fieldops.fourier_inverse(coefficients, STATE_LAYOUT)"])
        declarations = "LINEAR_KIND = 'fourier'\nLINEAR_CONSTANT = True"
        parts = [declarations, linear] + ([self.rhs(linear=False)] if nonlinear else []) + [forward, inverse]
        if nonlinear and not self.model.states:
            parts.append(self.nonlinear_hat())
        return "\n\n".join(parts)

    def nonlinear_hat(self) -> str:
        """``nonlinear_hat(t, coefficients, parameter)``: ``N`` from and to the fields'
        Fourier coefficients (the basis of ``forward``), for steppers that stay there.

        Each field is brought to the grid once; a derivative of a field is taken
        from its coefficients (one inverse transform, no forward one); the rest
        of ``N`` is evaluated on the grid and transformed once, except top-level
        terms ``c * d(w)`` with ``c`` constant in space, which are formed in
        Fourier space (``c * symbol * transform(w)``); dealiasing is a mask."""
        body = self._parameters() + self._grid_lines()
        body.append("_dtype = jnp.finfo(coefficients.dtype).dtype")
        lengths = tuple(self.axes[d.name][2] for d in self.model.domains)
        lengths_text = f"({', '.join(lengths)},)"
        hats, start = {}, 0
        for f in self.model.fields:
            real = not f.complex
            spectral = fourier_shape(self.shape, real)
            size = prod(spectral)
            hat = self.names.fresh(f"_hat_{f.name}")
            body.append(f"{hat} = jnp.reshape(coefficients[{start}:{start + size}], {spectral!r})")
            body.append(f"{self.names.map[f.name]} = fieldops.from_fourier({hat}, {self.shape!r}, {real!r})")
            hats[f.name] = (hat, real, spectral)
            start += size
        symbol = lambda real, weights, orders: (  # noqa: E731
            f"fieldops.fourier_symbol({self.shape!r}, {lengths_text}, {real!r}, {weights}, {orders}, _dtype)")
        # derivatives of the fields themselves: from their coefficients
        replaced = {}
        nonlinear = dict(self.disc.nonlinear_rhs)
        exprs = {f.name: nonlinear.get(f.name, dict(self.disc.rhs)[f.name]) for f in self.model.fields}
        for expr in exprs.values():
            for node in sorted(expr.atoms(SpectralDiff, SpectralLaplacian), key=str):
                value = node.args[0]
                if node in replaced or not (value.is_Symbol and value.name in hats):
                    continue
                hat, real, _ = hats[value.name]
                weights, orders = self._symbol_terms(node)
                target = self.names.fresh(f"_grad_{value.name}")
                body.append(f"{target} = fieldops.from_fourier({symbol(real, weights, orders)} * {hat}, "
                            f"{self.shape!r}, {real!r})")
                replaced[node] = sympy.Symbol(target, real=real)
                self.printer.add_names({target: target})
        # top-level terms c * d(w): in Fourier space; the rest on the grid
        constant = {p.name for p in self.model.parameters} | {TIME.name}
        outputs, plans = [], []
        for f in self.model.fields:
            rest, spectral_terms = [], []
            for term in sympy.Add.make_args(exprs[f.name].xreplace(replaced)):
                split = self._spectral_term(term, constant)
                if split is None:
                    rest.append(term)
                else:
                    spectral_terms.append(split)
            plans.append((f, len(outputs), spectral_terms))
            outputs.append(sympy.Add(*rest))
            outputs += [w for _, _, w in spectral_terms]
        lines, printed = self._assignments(outputs)
        body += lines
        results = []
        for f, index, spectral_terms in plans:
            _, real, spectral = hats[f.name]
            parts = []
            if outputs[index] != 0:
                parts.append(f"fieldops.to_fourier({printed[index]}, {self.shape!r}, {real!r})")
            for j, (c, node, _) in enumerate(spectral_terms):
                weights, orders = self._symbol_terms(node)
                parts.append(f"({self._p(c)}) * {symbol(real, weights, orders)} * "
                             f"fieldops.to_fourier({printed[index + 1 + j]}, {self.shape!r}, {real!r})")
            text = " + ".join(parts) if parts else f"jnp.zeros({spectral!r}, coefficients.dtype)"
            target = self.names.fresh(f"_n_{f.name}")
            body.append(f"{target} = {text}")
            if f.name in self.disc.dealias:
                body.append(f"{target} = fieldops.dealias_mask({self.shape!r}, {real!r}) * {target}")
            results.append(f"jnp.ravel({target}).astype(coefficients.dtype)")
        body.append("return jnp.concatenate([" + ", ".join(results) + "])")
        return function("nonlinear_hat", ["t", "coefficients", "parameter"],
                        "N in the basis of forward: the fields' Fourier coefficients -> N's coefficients.",
                        body)

    def _symbol_terms(self, node) -> tuple[str, str]:
        """``(weights, orders)`` of `fieldops.fourier_symbol` for a SpectralDiff/SpectralLaplacian node."""
        if isinstance(node, SpectralLaplacian):
            orders = tuple(tuple(2 if j == i else 0 for j in range(self.ndim)) for i in range(self.ndim))
            return f"({'1.0, ' * self.ndim})", repr(orders)
        _, axis, order = node.args
        index = self.axes[axis.name][0]
        return "(1.0,)", repr((tuple(int(order) if j == index else 0 for j in range(self.ndim)),))

    @staticmethod
    def _spectral_term(term, constant: set):
        """``(c, node, w)`` when ``term = c * node`` with ``node`` a spectral derivative of
        ``w`` and ``c`` free of fields and coordinates; else None."""
        factors = sympy.Mul.make_args(term)
        nodes = [f for f in factors if isinstance(f, (SpectralDiff, SpectralLaplacian))]
        if len(nodes) != 1:
            return None
        c = sympy.Mul(*[f for f in factors if f is not nodes[0]])
        if not {s.name for s in c.free_symbols} <= constant:
            return None
        return c, nodes[0], nodes[0].args[0]

    def _matrix_free_split(self, info) -> str:
        """``linear_apply`` (``L u``, homogeneous boundary values) and ``nonlinear = rhs - L u``."""
        linear = dict(self.disc.linear_rhs)
        outputs = list(linear.values())
        used = {s.name for e in outputs for s in e.free_symbols}
        body = self._parameters() + self._grid_lines() + self._unpack_state()
        body += self._boundary_lines(homogeneous=True) + self._pad_lines(homogeneous=True, used=used)
        lines, printed = self._assignments(outputs)
        body += lines
        values, texts = {}, dict(zip(linear, printed))
        for s in self.model.states:
            values[s.name] = "0.0"
        for f in self.model.fields:
            target = self.names.fresh(f"_l_{f.name}")
            body.append(f"{target} = jnp.broadcast_to({texts.get(f.name, '0.0')}, {self.shape!r})")
            for b in self.model.boundaries:
                if b.field == f.name and b.kind == "dirichlet":
                    index = 0 if b.side == "lower" else -1
                    body.append(f"{target} = fieldops.zero_boundary({target}, {self.axes[b.axis][0]}, {index})")
            values[f.name] = target
        body.append("return " + self._pack(values, "state"))
        apply = function("linear_apply", ["t", "state", "parameter"],
                         "L*state: the linear constant-coefficient part with homogeneous boundary values, flat.",
                         body)
        nonlinear = function("nonlinear", ["t", "state", "parameter"],
                             "N = rhs - L*state (boundary data and nonlinear terms), flat.",
                             ["return rhs(t, state, parameter) - linear_apply(t, state, parameter)"])
        declarations = (f"LINEAR_KIND = {info.kind!r}\nLINEAR_CONSTANT = True\n"
                        f"LINEAR_BANDWIDTH = {info.bandwidth!r}")
        return "\n\n".join([declarations, apply, nonlinear])

    def _spectral_linear(self, field: str, rest: str) -> str:
        """``L u + N`` as one `fieldops.spectral_linear` call (filtered when dealiased)."""
        op = next(op for op in self.disc.linear if op.field == field)
        coefficients = ", ".join(self._p(c) for c, _ in op.terms)
        orders = ", ".join(repr(o) for _, o in op.terms)
        lengths = ", ".join(self.axes[d.name][2] for d in self.model.domains)
        filtered = field in self.disc.dealias
        return (f"fieldops.spectral_linear({self.names.map[field]}, ({coefficients},), ({orders},), "
                f"({lengths},), {rest}, filtered={filtered})")

    def observables(self) -> str:
        """``observables(t, state, parameter)``: scalars (fields enter through integrals)."""
        outputs = [e for _, e in self.disc.observes]
        body = self._prelude() + self._pad_lines()
        lines, printed = self._assignments(outputs)
        body += lines
        if printed:
            body.append("return jnp.stack([" + ", ".join(f"jnp.real(jnp.asarray({p}))" for p in printed)
                        + "]).astype(state.dtype)")
        else:
            body.append("return jnp.zeros((0,), dtype=state.dtype)")
        return function("observables", ["t", "state", "parameter"],
                        "The observables, in the order of OBSERVABLE_NAMES.",
                        body)
