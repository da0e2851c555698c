"""Human-readable description of a model for ``modelc show``."""

from __future__ import annotations

import sympy

from .ir import Model, ReactionNetwork, is_external_call
from .passes.inline import inline_lets
from .printing import model_text

__all__ = ["describe"]


def describe(model: Model) -> str:
    """States, parameters, lets, observables and equations of ``model`` as text."""
    lines = [f"model {model.name}" + (f' "{model.doc}"' if model.doc else "")]
    lines.append(f"  file: {model.file}")
    lines.append("\nparameters:")
    lines += [f"  {p.name} = {model_text(p.default)}" for p in model.parameters] or ["  (none)"]
    lines.append("\nstates (initial values):")
    lines += [f"  {s.name}: array (from y0)" if s.array else f"  {s.name} = {model_text(s.initial)}"
              for s in model.states]
    if model.externals:
        lines.append("\nexternal functions (bound at solve time):")
        lines += [f"  {e.name}({', '.join(e.arguments)})" for e in model.externals]
    if model.lets:
        lines.append("\nlets:")
        lines += [f"  {le.name} = {model_text(le.expr)}" for le in model.lets]
    if model.observes:
        lines.append("\nobservables:")
        lines += [f"  {o.name} = {model_text(o.expr)}" for o in model.observes]
    lines += describe_events(model)
    if model.network is not None:
        lines += describe_network(model.network)
    if model.fields:
        lines += describe_fields(model)
    if model.constants:
        lines.append("\nconstants (parameter-only, computed once per solve):")
        lines += [f"  {name} = {model_text(e)}" for name, e in model.constants]
    flat = inline_lets(model)
    if flat.derivatives or not model.fields:
        lines.append("\nequations (lets inlined):")
    algebraic = {c.state: c.residual for c in flat.constraints}  # rows of a DAE (docs/dae.md)
    lines += [f"  0 = {model_text(algebraic[d.state])}   (algebraic: determines {d.state})"
              if d.state in algebraic else f"  d{d.state}/dt = {model_text(d.expr)}"
              for d in flat.derivatives]
    if model.safe_forms:
        lines.append("\nrewritten for floating-point accuracy (same values, no 0/0 or cancellation):")
        lines += [f"  {note}" for note in model.safe_forms]
    lines += describe_split(model)
    if _is_probability_flow(model, flat):
        form = model.noise_form
        lines.append("\ndiffusion form der(x) = a(t)*x + b(t)*g (samplers ddim, dpm_solver_*, deis_*):")
        lines.append(f"  a = {model_text(form.drift)}")
        lines.append(f"  b = {model_text(form.noise)}")
    opts = {k: v for k, v in vars(model.simulate).items() if k != "span" and v is not None}
    if opts:
        lines.append("\nsimulate: " + ", ".join(f"{k} = {v}" for k, v in opts.items()))
    return "\n".join(lines)


def _is_probability_flow(model: Model, flat: Model) -> bool:
    """Whether ``model`` is a diffusion probability-flow ODE: it has the noise form
    (`modelc.passes.noise_form`) and its ``g`` is an external function (the noise
    prediction), as the samplers expect. Any ODE linear in its state has the form
    (``g`` free of the state); the section is not shown for those."""
    return model.noise_form is not None and any(
        is_external_call(f) for d in flat.derivatives for f in d.expr.atoms(sympy.Function))


def describe_events(model: Model) -> list[str]:
    """The events and the constraints as model-language lines (they parse back to the same
    events and constraints), each constraint with how it was solved as a comment."""
    lines = []
    if model.events:
        lines.append("\nevents:")
        lines += [f"  {event_text(e)}" for e in model.events]
    if model.constraint_paths:
        lines.append("\nconstraints (how each is solved):")
        kept = {c.state: c for c in model.constraints}
        for state, path in model.constraint_paths:
            if path == "symbolic":
                lines.append(f"  # {state}: eliminated symbolically, now an observable")
            else:
                c = kept[state]
                lines.append(f"  constraint {model_text(c.lhs)} = {model_text(c.rhs)}"
                             f"   # {state}: solved numerically (a DAE, docs/dae.md)")
    return lines


def event_text(event) -> str:
    """``event`` as its ``event NAME when CONDITION[, options]: ASSIGNMENTS`` line (the
    options that differ from the language's defaults)."""
    actions = "stop" if event.stop else ", ".join(
        f"{a.target} = {model_text(a.expr)}" for a in event.assignments)
    defaults = type(event.options)()
    options = "".join(f", {k} = {str(v).lower() if isinstance(v, bool) else model_text(v)}"
                      for k, v in vars(event.options).items() if v != getattr(defaults, k))
    return f"event {event.name} when {model_text(event.condition)}{options}: {actions}"


def describe_fields(model: Model) -> list[str]:
    """Lines describing the grid, fields, boundaries and the linear operators found."""
    lines = ["\ndomains:"]
    for d in model.domains:
        kind = "periodic" if d.periodic else "bounded"
        method = d.method + (f" order {d.order}" if d.method == "fd" else "")
        method += f", dealias {d.dealias}" if d.method == "spectral" else ""
        lines.append(f"  {d.name} in [{model_text(d.lower)}, {model_text(d.upper)}], {kind}, "
                     f"{d.points} points, {method}")
    lines.append("\nfields (initial values):")
    lines += [f"  {f.name}{': complex' if f.complex else ''} = {model_text(f.initial)}" for f in model.fields]
    if model.boundaries:
        lines.append("\nboundaries:")
        lines += [f"  {b.kind} {b.field} = {model_text(b.value)} at the {b.side} end of {b.axis}"
                  if b.kind == "dirichlet" else
                  f"  {b.kind} d{b.field}/d{b.axis} = {model_text(b.value)} at the {b.side} end of {b.axis}"
                  for b in model.boundaries]
    lines.append("\nfield equations:")
    lines += [f"  d{d.state}/dt = {model_text(d.expr)}" for d in model.field_derivatives]
    if model.discretization is not None:
        lines.append("\nlinear part L u (constant coefficients; Fourier symbol where all axes are spectral):")
        for op in model.discretization.linear:
            symbol = f"   symbol {model_text(op.symbol)}" if op.symbol is not None else ""
            axes = [d.name for d in model.domains]
            terms = " + ".join(_linear_term(c, op.field, o, axes) for c, o in op.terms) or "0"
            lines.append(f"  {op.field}: {terms}{symbol}")
    return lines


def _linear_term(coefficient, field: str, orders, axes) -> str:
    """``c * d^orders field`` in the model language: ``D*diff(u, x, 2)``, ``r*u``."""
    term = field
    for axis, order in zip(axes, orders):
        if order:
            term = f"diff({term}, {axis}, {order})" if order > 1 else f"diff({term}, {axis})"
    c = model_text(coefficient)
    if c in ("1", "-1"):
        return term if c == "1" else f"-{term}"
    return f"({c})*{term}" if isinstance(coefficient, sympy.Add) else f"{c}*{term}"


def describe_split(model: Model) -> list[str]:
    """Lines describing the semilinear split ``rhs = L u + N`` (`modelc.passes.split`)."""
    info = model.split
    if info is None:
        return ["\nsplit: none (no linear part; exponential split methods unavailable)"]
    names = model.state_names
    time = "" if info.constant else ", time-dependent"
    lines = [f"\nsplit rhs = L*u + N (L {info.kind}{time}):"]
    if info.kind == "fourier":
        return lines + ["  L: each field's Fourier symbol (linear operators above); "
                        "N: the rest of its rhs"]
    if info.kind in ("banded", "operator"):
        return lines + _matrix_free_lines(model)
    if info.kind == "scalar":
        lines.append(f"  L = ({model_text(info.entries[0][2])}) * I")
    else:
        lines += [f"  L[{names[i]}, {names[j]}] = {model_text(c)}" for i, j, c in info.entries]
    lines += [f"  N[{name}] = {model_text(e)}" for name, e in zip(names, info.nonlinear)]
    return lines


def _matrix_free_lines(model: Model) -> list[str]:
    """The ``"banded"``/``"operator"`` split: which fields have a linear part, and the band."""
    info, disc = model.split, model.discretization
    linear = [name for name, _ in disc.linear_rhs]
    lines = []
    if info.kind == "banded":
        wrap = ", plus periodic wrap-around corners" if info.periodic else ""
        lines.append(f"  L: finite-difference stencils, half-bandwidth {info.bandwidth} in the flat "
                     f"state{wrap}; matrix-free, homogeneous boundary values")
    else:
        lines.append("  L: spectral/finite-difference derivatives, matrix-free, homogeneous boundary values")
    lines.append("  L acts on: " + ", ".join(linear) + " (linear operators above)")
    rest = [s.name for s in model.states] + [f.name for f in model.fields if f.name not in linear]
    if rest:
        lines.append("  zero rows of L: " + ", ".join(rest))
    lines.append("  N = rhs - L*u: nonlinear terms and the boundary data (affine in u)")
    return lines


def describe_network(network: ReactionNetwork) -> list[str]:
    """Lines describing a lowered reaction network: reactions, stoichiometry and structure."""
    lines = ["\nspecies: " + (", ".join(network.species) or "(none)")]
    idle = [s for i, s in enumerate(network.species) if not any(network.stoichiometry.row(i))]
    if idle:
        lines.append("  constant (no net change in any reaction): " + ", ".join(idle))
    lines.append("\nreactions (net rates):")
    labels = network.reaction_labels
    width = max((len(label) for label in labels), default=0)
    equations = [_reaction_text(r) for r in network.reactions]
    eq_width = max((len(e) for e in equations), default=0)
    for label, text, rate in zip(labels, equations, network.rates):
        lines.append(f"  {label + ':':<{width + 1}} {text:<{eq_width}}   rate = {model_text(rate)}")
    lines.append("\nstoichiometry matrix (species x reactions):")
    lines += _matrix_lines(network)
    lines.append("\nconservation laws:")
    lines += [f"  {law} = constant" for law in network.conservation_laws] or ["  (none)"]
    lines.append("\ncomplexes: " + ", ".join(_complex_text(c) for c in network.complexes))
    classes = ["{" + ", ".join(_complex_text(network.complexes[i]) for i in cls) + "}"
               for cls in network.linkage_classes]
    lines.append("linkage classes: " + ", ".join(classes))
    n_classes = len(network.linkage_classes)
    lines.append(
        f"deficiency: {len(network.complexes)} complexes - {n_classes} linkage "
        f"class{'' if n_classes == 1 else 'es'} - rank {network.rank} = {network.deficiency}"
    )
    if network.eliminated:
        lines.append("\neliminated by conservation (observables now; totals are parameters):")
        lines += [f"  {s}: {t} = {law}" for (s, t), law in zip(network.eliminated, network.conservation_laws)]
    return lines


def _complex_text(side) -> str:
    if not side:
        return "0"
    return " + ".join((f"{float(c):g} " if not float(c).is_integer() else f"{c}" if c != 1 else "") + name
                      for name, c in side)


def _reaction_text(reaction) -> str:
    arrow = "<->" if reaction.reversible else "->"
    return f"{_complex_text(reaction.reactants)} {arrow} {_complex_text(reaction.products)}"


def _matrix_lines(network: ReactionNetwork) -> list[str]:
    labels = network.reaction_labels
    rows = [[str(network.stoichiometry[i, j]) for j in range(len(labels))] for i in range(len(network.species))]
    name_width = max((len(s) for s in network.species), default=0)
    widths = [max([len(label)] + [len(r[j]) for r in rows]) for j, label in enumerate(labels)]
    head = "  " + " " * name_width + "".join(f"  {label:>{w}}" for label, w in zip(labels, widths))
    body = [
        "  " + f"{name:<{name_width}}" + "".join(f"  {v:>{w}}" for v, w in zip(row, widths))
        for name, row in zip(network.species, rows)
    ]
    return [head.rstrip(), *body]


def describe_simplification(report, *, latex: bool = False) -> str:
    """Each simplified equation before and after with its cost, the totals and the time taken.

    Args:
        report: a `modelc.passes.rewrite.SimplifyReport` (``Model.simplification``).
        latex: print the expressions as LaTeX instead of SymPy text.
    """
    show = _latex if latex else model_text
    lines = ["\nsimplification (weighted cost: additions = 1):"]
    for change in report.equations:
        lines.append(f"  {change.name}:")
        lines.append(f"    before [{change.cost_before:g}]  {show(change.before)}")
        if change.after != change.before:
            lines.append(f"    after  [{change.cost_after:g}]  {show(change.after)}")
        else:
            lines.append("    after  (unchanged)")
    if report.constants:
        lines.append("  constants (parameter-only, computed once per solve):")
        lines += [f"    {show(sym)} = {show(expr)}" for sym, expr in report.constants]
    lines.append(
        f"  total after CSE: cost {report.cost_before:g} -> {report.cost_after:g} per evaluation, "
        f"operations {report.ops_before} -> {report.ops_after}")
    if report.constants:
        lines.append(f"  once per solve: cost {report.cost_once:g}, operations {report.ops_once}")
    stop = "saturated" if report.stopped is None else f"stopped: {report.stopped}"
    lines.append(f"  {report.rounds} rounds, {report.enodes} e-nodes, {stop}, "
                 f"{report.seconds:.3f} s")
    if report.assume_positive:
        lines.append("  assumed positive: " + ", ".join(report.assume_positive))
    if report.warning:
        lines.append("  note: " + report.warning)
    return "\n".join(lines)


def _latex(expr) -> str:
    """LaTeX of ``expr``; hoisted constants ``_k0, _k1, ...`` are written ``\\kappa_{0}, ...``."""
    from .passes.rewrite.hoist import CONSTANT_PREFIX  # only after a simplification ran

    names = {s: rf"\kappa_{{{s.name[len(CONSTANT_PREFIX):]}}}" for s in expr.free_symbols
             if s.name.startswith(CONSTANT_PREFIX) and s.name[len(CONSTANT_PREFIX):].isdigit()}
    return sympy.latex(expr, symbol_names=names)
