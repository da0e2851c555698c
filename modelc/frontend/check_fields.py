"""Semantic checks of domains, fields and boundaries, and their IR records.

The rules:

* domain options are known words: ``periodic``, ``points = N``,
  ``method = spectral | fd``, ``order = 2 | 4``, ``dealias = on | off``; a
  spectral axis is periodic; ``points`` is a whole number large enough for the
  stencil (at least 4 on a periodic spectral axis, ``order + 1`` on a periodic
  fd axis, ``order + 3`` on a bounded one); at most three axes;
* ``diff(expr, x, n)`` names a declared domain axis;
* a boundary is on a bounded axis, at one of its ends, and reads ``u = value``
  (Dirichlet) or ``diff(u, x) = value`` (Neumann), linear in the field, with a
  value that does not use fields; each field has exactly one condition at each
  end of each bounded axis.
"""

from __future__ import annotations

import sympy

from .. import ir, spatial
from ..errors import Diagnostic
from .syntax import BoundaryStmt, DomainOption, DomainStmt, Program

__all__ = ["check_fields", "build_fields"]

_FLAGS = {"periodic", "upwind"}
_VALUES = {"points", "method", "order", "dealias"}
DEALIAS_WORDS = ("pad", "truncate", "off", "on")
"""``dealias = pad`` (default; ``on`` means the same): nonlinear terms evaluated on a
zero-padded grid; ``truncate``: the 2/3 rule; ``off``: neither."""
_METHODS = ("spectral", "fd")


def check_fields(program: Program, table: dict) -> list[Diagnostic]:
    """All problems of the file's domains, fields, boundaries and ``diff`` axes."""
    diags: list[Diagnostic] = []
    for domain in program.domains:
        _domain_settings(domain, diags)
    if len(program.domains) > 3:
        diags.append(Diagnostic(program.domains[3].span, "more than three domain axes",
                                "a grid has one, two or three axes"))
    fields = program.of_kind("field")
    if fields and not program.domains:
        diags.append(Diagnostic(fields[0].span, f"field `{fields[0].name}` needs a domain",
                                "declare the axis first, e.g. `domain x = [0, 1], points = 101`"))
    for use in program.axis_uses:
        target = table.get(use.name)
        if target is None or target.kind != "domain":
            what = "is not declared" if target is None else f"is {target.kind} `{use.name}`, not a domain axis"
            axes = ", ".join(d.name for d in program.domains) or "none declared"
            diags.append(Diagnostic(use.span, f"derivative along `{use.name}`, which {what}",
                                    f"differentiate along a `domain` axis (axes: {axes})"))
    diags += _check_boundaries(program, table)
    diags += _complex_in_real_fields(program)
    return diags


def _complex_in_real_fields(program: Program) -> list[Diagnostic]:
    """A real field whose initial value or equation uses ``I`` would be cast to real
    (its imaginary part silently dropped): each is an error at its statement."""
    real = {f.name for f in program.of_kind("field") if f.name not in program.complex_fields}
    found = [(f.name, f.span, "initial value") for f in program.of_kind("field")
             if f.name in real and f.expr.has(sympy.I)]
    found += [(d.state, d.span, "equation") for d in program.ders
              if d.state in real and d.expr.has(sympy.I)]
    return [Diagnostic(span, f"the {what} of real field `{name}` is complex (it uses `I`)",
                       f"declare it `field {name}: complex = ...`, or keep `I` out of it")
            for name, span, what in found]


def _domain_settings(domain: DomainStmt, diags: list[Diagnostic]) -> dict:
    """The domain's options as a dict (periodic, points, method, order, dealias)."""
    settings = {"periodic": False, "points": None, "method": None, "order": 2, "dealias": "pad",
                "upwind": False}
    for opt in domain.options:
        if opt.key in _FLAGS and opt.value is None:
            settings[opt.key] = True
        elif opt.key in _VALUES and opt.value is not None:
            value = _option_value(opt, diags)
            if value is not None:
                settings[opt.key] = value
        else:
            diags.append(Diagnostic(opt.key_span, f"unknown domain option `{opt.key}`",
                                    "the options are periodic, points = N, method = spectral | fd, "
                                    "order = 2 | 4, dealias = pad | truncate | off, upwind"))
    if settings["method"] is None:
        settings["method"] = "spectral" if settings["periodic"] else "fd"
    if settings["upwind"] and settings["method"] != "fd":
        diags.append(Diagnostic(domain.span, f"`upwind` needs finite differences on axis `{domain.name}`",
                                "add `method = fd` (spectral derivatives have no upwind form)"))
    if settings["method"] == "spectral" and not settings["periodic"]:
        diags.append(Diagnostic(domain.span, f"axis `{domain.name}` uses the spectral method but is not periodic",
                                "add `periodic`, or use `method = fd` on a bounded axis"))
    points = settings["points"]
    need = _min_points(settings)
    if points is None:
        diags.append(Diagnostic(domain.name_span, f"axis `{domain.name}` needs a number of grid points",
                                "add e.g. `points = 128`"))
    elif points < need:
        diags.append(Diagnostic(_span_of(domain, "points"),
                                f"axis `{domain.name}` has {points} points, too few for its "
                                f"{settings['method']} stencil (at least {need})",
                                f"use `points = {max(need, 16)}` or more"))
    return settings


def _min_points(settings: dict) -> int:
    if settings["method"] == "spectral":
        return 4
    return settings["order"] + (1 if settings["periodic"] else 3)


def _span_of(domain: DomainStmt, key: str):
    for opt in domain.options:
        if opt.key == key:
            return opt.value_span or opt.key_span
    return domain.span


def _option_value(opt: DomainOption, diags: list[Diagnostic]):
    value = opt.value
    if opt.key in ("method", "dealias"):
        words = _METHODS if opt.key == "method" else DEALIAS_WORDS
        if isinstance(value, sympy.Symbol) and value.name in words:
            if opt.key == "dealias":  # `on` (the old spelling) is the default, zero-padding
                return "pad" if value.name == "on" else value.name
            return value.name
        diags.append(Diagnostic(opt.value_span, f"`{opt.key}` is one of {' | '.join(words)}",
                                f"write e.g. `{opt.key} = {words[0]}`"))
        return None
    number = value if value.is_Number else None
    allowed = (2, 4) if opt.key == "order" else None
    if opt.refs or number is None or not number.is_Integer or (allowed and int(number) not in allowed) \
            or int(number) < 1:
        want = "2 or 4" if allowed else "a whole number"
        diags.append(Diagnostic(opt.value_span, f"`{opt.key}` must be {want}", f"write e.g. `{opt.key} = "
                                + ("4`" if allowed else "128`")))
        return None
    return int(number)


# ---- boundaries --------------------------------------------------------------------


def _check_boundaries(program: Program, table: dict) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    domains = {d.name: d for d in program.domains}
    seen: dict[tuple[str, str, str], BoundaryStmt] = {}
    for b in program.boundaries:
        found = _read_boundary(b, domains, table, diags)
        if found is None:
            continue
        key = found[:3]
        if key in seen:
            diags.append(Diagnostic(b.span, f"a second boundary condition for `{key[0]}` at the {key[2]} end of "
                                    f"`{key[1]}`; the first is on line {seen[key].span.line}",
                                    "give one condition per field and end"))
        seen[key] = b
    differentiated = _differentiated_fields(program, table)
    for field in program.of_kind("field"):
        for d in program.domains:
            if _domain_settings(d, []).get("periodic") or (field.name, d.name) not in differentiated:
                continue
            missing = [side for side in ("lower", "upper") if (field.name, d.name, side) not in seen]
            if missing:
                ends = " and ".join(f"{d.name} = {d.lower if s == 'lower' else d.upper}" for s in missing)
                end = d.lower if missing[0] == "lower" else d.upper
                diags.append(Diagnostic(field.name_span,
                                        f"field `{field.name}` has no boundary condition at {ends} "
                                        f"(axis `{d.name}` is bounded and the equations differentiate "
                                        f"`{field.name}` along it)",
                                        f"add e.g. `boundary diff({field.name}, {d.name}) = 0 at {d.name} = "
                                        f"{end}` (zero flux: nothing flows through that end, and the initial "
                                        f"values are kept), or `boundary {field.name} = VALUE at {d.name} = "
                                        f"{end}` to hold `{field.name}` at VALUE there, or make the axis "
                                        "`periodic`"))
    return diags


def _differentiated_fields(program: Program, table: dict) -> set[tuple[str, str]]:
    """``(field, axis)`` pairs where some equation or let takes a spatial derivative, along
    ``axis``, of an expression that depends on ``field`` (through lets too). Only those
    fields need boundary conditions on a bounded axis: a field that is never
    differentiated evolves pointwise (a reaction or gating variable)."""
    lets = {d.name: d.expr for d in program.decls if d.kind == "let"}
    fields = {f.name for f in program.of_kind("field")}
    axes = [d.name for d in program.domains]
    depends: dict[str, set[str]] = {}

    def fields_of(expr, seen=()) -> set[str]:
        out = set()
        for sym in expr.free_symbols:
            if sym.name in fields:
                out.add(sym.name)
            elif sym.name in lets and sym.name not in seen:
                if sym.name not in depends:
                    depends[sym.name] = fields_of(lets[sym.name], (*seen, sym.name))
                out |= depends[sym.name]
        return out

    pairs = set()
    for expr in [d.expr for d in program.ders] + list(lets.values()):
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, spatial.Diff):
                pairs |= {(f, node.args[1].name) for f in fields_of(node.args[0])}
            elif isinstance(node, spatial.Laplacian):
                pairs |= {(f, axis) for f in fields_of(node.args[0]) for axis in axes}
    return pairs


def _read_boundary(b: BoundaryStmt, domains: dict, table: dict, diags: list[Diagnostic]):
    """``(field, axis, side, kind)`` of a valid boundary, else None (and diagnostics)."""
    domain = domains.get(b.axis)
    if domain is None:
        diags.append(Diagnostic(b.axis_span, f"boundary at `{b.axis}`, which is not a domain axis",
                                f"axes: {', '.join(domains) or 'none declared'}"))
        return None
    if _domain_settings(domain, []).get("periodic"):
        diags.append(Diagnostic(b.span, f"a boundary condition on the periodic axis `{b.axis}`",
                                f"a periodic axis has no ends: remove this line, or drop `periodic` from "
                                f"`domain {b.axis}` (line {domain.span.line})"))
        return None
    kind_field = _lhs(b, table)
    if kind_field is None:
        diags.append(Diagnostic(b.lhs_span, "the boundary condition is not linear in the field"
                                if not _is_linear(b.lhs, table) else
                                "this boundary condition is not of a supported form",
                                "write `u = value` (Dirichlet) or `diff(u, x) = value` (Neumann)"))
        return None
    kind, field = kind_field
    if kind == "neumann" and b.lhs.args[1].name != b.axis:
        diags.append(Diagnostic(b.lhs_span, f"a Neumann condition at `{b.axis}` differentiates along "
                                f"`{b.lhs.args[1].name}`", f"write `diff({field}, {b.axis}) = value`"))
        return None
    used = [r for r in b.value_refs
            if table.get(r.name) is not None and table[r.name].kind in ("field", "state", "let")]
    if used:
        diags.append(Diagnostic(used[0].span, f"the boundary value uses {table[used[0].name].kind} `{used[0].name}`: "
                                "the boundary condition is not linear in the field",
                                "a boundary value may use parameters, t and the other axes' coordinates"))
        return None
    side = _side(b, domain)
    if side is None:
        diags.append(Diagnostic(b.position_span, f"`{b.axis} = {b.position}` is not an end of the axis "
                                f"[{domain.lower}, {domain.upper}]",
                                f"write `at {b.axis} = {domain.lower}` or `at {b.axis} = {domain.upper}`"))
        return None
    return field, b.axis, side, kind


def _lhs(b: BoundaryStmt, table: dict):
    lhs = b.lhs
    if isinstance(lhs, sympy.Symbol) and getattr(table.get(lhs.name), "kind", None) == "field":
        return "dirichlet", lhs.name
    if isinstance(lhs, spatial.Diff) and lhs.args[2] == 1 and isinstance(lhs.args[0], sympy.Symbol) \
            and getattr(table.get(lhs.args[0].name), "kind", None) == "field":
        return "neumann", lhs.args[0].name
    return None


def _is_linear(expr, table: dict) -> bool:
    fields = [s for s in expr.free_symbols if getattr(table.get(s.name), "kind", None) == "field"]
    atoms = list(expr.atoms(spatial.Diff)) + fields
    try:
        return sympy.Poly(expr, *atoms).total_degree() <= 1 if atoms else False
    except sympy.PolynomialError:
        return False


def _side(b: BoundaryStmt, domain: DomainStmt) -> str | None:
    for side, end in (("lower", domain.lower), ("upper", domain.upper)):
        if sympy.simplify(b.position - end) == 0:
            return side
    return None


# ---- IR ----------------------------------------------------------------------------


def build_fields(program: Program) -> dict:
    """The IR records of a program that passed the checks: domains, fields, boundaries,
    field derivatives (keyword arguments of `ir.Model`)."""
    domains = []
    for d in program.domains:
        s = _domain_settings(d, [])
        domains.append(ir.Domain(d.name, d.lower, d.upper, s["periodic"], s["points"], s["method"],
                                 s["order"], s["dealias"], d.span, s["upwind"]))
    fields = [ir.Field(f.name, f.expr, f.name in program.complex_fields, f.span)
              for f in program.of_kind("field")]
    table = {f.name: f for f in program.of_kind("field")}
    by_name = {d.name: d for d in program.domains}
    boundaries = []
    for b in program.boundaries:
        kind, field = _lhs(b, table)
        boundaries.append(ir.Boundary(field, b.axis, _side(b, by_name[b.axis]), kind, b.value, b.span))
    ders = {d.state: ir.Derivative(d.state, d.expr, d.span) for d in program.ders}
    return {
        "domains": tuple(domains),
        "fields": tuple(fields),
        "boundaries": tuple(boundaries),
        "field_derivatives": tuple(ders[f.name] for f in fields),
    }
