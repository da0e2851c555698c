"""The model IR: frozen dataclasses holding SymPy expressions and source spans.

Every name in an expression is a ``sympy.Symbol`` whose name is the user's
identifier (see `symbol`); time is `TIME`. Passes are pure functions
``Model -> Model`` that return new instances via `dataclasses.replace`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import sympy

from .errors import Span

if TYPE_CHECKING:  # networkx is imported on first use: `modelc check` does not need it
    import networkx as nx

__all__ = [
    "TIME",
    "symbol",
    "Parameter",
    "State",
    "External",
    "external_call",
    "is_external_call",
    "NoiseForm",
    "Let",
    "Observe",
    "Derivative",
    "SimulateOptions",
    "Species",
    "Reaction",
    "ConservationLaw",
    "ReactionNetwork",
    "Domain",
    "Field",
    "Boundary",
    "LinearOperator",
    "Discretization",
    "SplitInfo",
    "Delay",
    "DerValue",
    "EventOptions",
    "EventAssignment",
    "Event",
    "Constraint",
    "Model",
]

TIME = sympy.Symbol("t", real=True)


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol that stands for the user's name ``name`` in every expression."""
    if name == "t":
        return TIME
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class Parameter:
    """``parameter name = default``; the default may use earlier parameters."""

    name: str
    default: sympy.Expr
    span: Span


@dataclass(frozen=True)
class State:
    """``state name = initial``; the initial value may use parameters.

    ``array``: ``state name: array``, an array of any shape whose value comes
    from ``y0`` at solve time (``initial`` is 0 and unused); arithmetic on it
    is elementwise.
    """

    name: str
    initial: sympy.Expr
    span: Span
    array: bool = False


@dataclass(frozen=True)
class External:
    """``external name(x, t)``: a function of ``arity`` arguments supplied from Python
    at solve time (``externals={name: fn}``); it receives and returns arrays.
    ``arguments`` are the names written in the declaration (documentation only)."""

    name: str
    arity: int
    span: Span
    arguments: tuple[str, ...] = ()


def external_call(name: str, args) -> sympy.Expr:
    """``name(*args)`` as SymPy: an application of an undefined real function named
    ``name`` (printed by code generation as a call of the bound Python function)."""
    fn = sympy.Function(name, real=True)
    return fn(*args)


def is_external_call(expr) -> bool:
    """True for an application of an undefined function (an external call)."""
    return isinstance(expr, sympy.core.function.AppliedUndef)


@dataclass(frozen=True)
class NoiseForm:
    """``der(x) = a(t)*x + b(t)*g(x, t)`` for every state, with the same ``a`` (``drift``,
    possibly 0) and ``b`` (``noise``, nonzero) for all of them: the form of a
    diffusion model's probability-flow ODE that the DPM-Solver samplers need
    (`modelc.passes.noise_form`). ``a`` and ``b`` use ``t`` and parameters only;
    ``log_alpha`` is ``int_0^t a ds`` in closed form when SymPy found it, else None."""

    drift: sympy.Expr
    noise: sympy.Expr
    log_alpha: sympy.Expr | None = None


@dataclass(frozen=True)
class Let:
    """``let name = expr``: a named intermediate usable in later expressions."""

    name: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Observe:
    """``observe name = expr``: an output computed along a solution."""

    name: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Derivative:
    """``der(state) = expr``."""

    state: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class SimulateOptions:
    """Defaults from ``simulate`` lines; ``None`` means not given."""

    t0: float | None = None
    t1: float | None = None
    method: str | None = None
    rtol: float | None = None
    atol: float | None = None
    points: int | None = None
    span: Span | None = None


@dataclass(frozen=True)
class Species:
    """``species name = initial``: a state of a reaction network, changed only by reactions."""

    name: str
    initial: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Reaction:
    """``reaction label: reactants -> products, forward[, reverse]`` (or ``rate = forward``).

    ``reactants`` and ``products`` are ``(species, coefficient)`` pairs with
    positive integer coefficients, each species once per side, in source
    order; ``()`` is the empty complex ``0``. ``forward`` is the rate constant,
    or the whole rate law when ``explicit``; ``reverse`` is the reverse rate
    constant of a mass-action ``<->`` reaction, else ``None``. ``label`` is the
    user's label or an automatic one (``r1``, ``r2``, ... by position).
    """

    label: str
    reactants: tuple[tuple[str, int], ...]
    products: tuple[tuple[str, int], ...]
    forward: sympy.Expr
    reverse: sympy.Expr | None
    explicit: bool
    span: Span
    reversible: bool = False

    @property
    def rate(self) -> sympy.Expr:
        """The net rate: the explicit law, or mass action ``kf*prod(R^c) - kr*prod(P^c)``."""
        if self.explicit:
            return self.forward
        # one Mul (and Add) of all the factors: SymPy flattens and sorts once (issue 16)
        rate = sympy.Mul(self.forward, *_factors(self.reactants))
        if self.reverse is not None:
            rate = sympy.Add(rate, sympy.Mul(sympy.S.NegativeOne, self.reverse, *_factors(self.products)))
        return rate

    def change(self, species: str) -> int:
        """Net stoichiometric change of ``species``: products minus reactants."""
        return dict(self.products).get(species, 0) - dict(self.reactants).get(species, 0)


def _factors(side: tuple[tuple[str, int], ...]) -> list[sympy.Expr]:
    """The species of one side raised to their coefficients (the mass-action monomial's factors)."""
    return [symbol(name) if coeff == 1 else symbol(name) ** coeff for name, coeff in side]


@dataclass(frozen=True)
class ConservationLaw:
    """A conserved combination ``sum(c * species)`` of a reaction network (integer ``c``, nonzero only)."""

    coefficients: tuple[tuple[str, int], ...]

    @property
    def expr(self) -> sympy.Expr:
        """The conserved quantity as an expression of the species."""
        return sympy.Add(*(c * symbol(name) for name, c in self.coefficients))

    def __str__(self) -> str:
        text = ""
        for name, c in self.coefficients:
            sign = " - " if c < 0 else " + "
            term = name if abs(c) == 1 else f"{abs(c)}*{name}"
            text += (("-" if c < 0 else "") if not text else sign) + term
        return text


@dataclass(frozen=True)
class ReactionNetwork:
    """What reaction lowering keeps of a network (see `modelc.passes.reactions`).

    ``stoichiometry`` is species x reactions (integers, products minus
    reactants), built on first use from ``stoichiometry_entries``, its nonzeros
    ``(species index, reaction index, change)`` by reaction then species;
    ``rates`` are the reactions' net rates; ``graph`` is the
    species-reaction bipartite digraph (nodes ``("species", name)`` and
    ``("reaction", label)``; edges reactant -> reaction -> product with the
    coefficient as ``weight``). ``complexes`` are ``(species, coefficient)``
    tuples (``()`` is the zero complex) and ``linkage_classes`` index them.
    ``eliminated`` lists ``(species, total parameter)`` removed by conservation
    reduction. ``conservation_laws`` and ``graph`` are computed on first use by
    ``laws_of()`` and ``graph_of()`` (lowering and code generation need neither:
    at 800 species the matrix, the laws and the graph took 4.5 s; issue 16).
    """

    species: tuple[str, ...]
    reactions: tuple[Reaction, ...]
    stoichiometry_entries: tuple[tuple[int, int, sympy.Rational], ...]
    rates: tuple[sympy.Expr, ...]
    complexes: tuple[tuple[tuple[str, int], ...], ...]
    linkage_classes: tuple[tuple[int, ...], ...]
    deficiency: int
    laws_of: Callable[[], tuple[ConservationLaw, ...]] = field(default=tuple, compare=False, repr=False)
    graph_of: Callable[[], nx.DiGraph] = field(default=lambda: _networkx().DiGraph(), compare=False,
                                              repr=False)
    eliminated: tuple[tuple[str, str], ...] = ()

    @cached_property
    def stoichiometry(self) -> sympy.ImmutableSparseMatrix:
        """Species x reactions, products minus reactants (sparse)."""
        return sympy.ImmutableSparseMatrix(len(self.species), len(self.reactions),
                                           {(i, j): c for i, j, c in self.stoichiometry_entries})

    @cached_property
    def conservation_laws(self) -> tuple[ConservationLaw, ...]:
        """Independent conservation laws (`modelc.passes.network.conservation_laws`)."""
        return self.laws_of()

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The species-reaction bipartite digraph (class docstring)."""
        return self.graph_of()

    @property
    def reaction_labels(self) -> tuple[str, ...]:
        """Reaction labels in the order of the stoichiometry matrix's columns."""
        return tuple(r.label for r in self.reactions)

    @property
    def rank(self) -> int:
        """Rank of the stoichiometry matrix: complexes - linkage classes - deficiency."""
        return len(self.complexes) - len(self.linkage_classes) - self.deficiency


@dataclass(frozen=True)
class Domain:
    """``domain x = [lower, upper], ...``: one axis of the tensor-product grid.

    ``method`` is ``"spectral"`` (periodic axes only) or ``"fd"``; ``order`` is
    the finite-difference order (2 or 4); ``dealias`` is how nonlinear
    right-hand sides on spectral axes are dealiased: ``"pad"`` (evaluated on a
    zero-padded grid, 3/2 rule for quadratic terms, 2x for cubic and beyond),
    ``"truncate"`` (the 2/3-rule filter) or ``"off"``; ``upwind`` makes
    first derivatives of fields along an fd axis first-order upwind differences.
    """

    name: str
    lower: sympy.Expr
    upper: sympy.Expr
    periodic: bool
    points: int
    method: str
    order: int
    dealias: str
    span: Span
    upwind: bool = False


@dataclass(frozen=True)
class Field:
    """``field u = initial`` (``complex`` for ``field psi: complex = ...``); ``initial`` uses
    parameters and the domain coordinates."""

    name: str
    initial: sympy.Expr
    complex: bool
    span: Span


@dataclass(frozen=True)
class Boundary:
    """``boundary u = value at x = end`` (``dirichlet``) or ``boundary diff(u, x) = value ...``
    (``neumann``); ``side`` is ``"lower"`` or ``"upper"``."""

    field: str
    axis: str
    side: str
    kind: str
    value: sympy.Expr
    span: Span


@dataclass(frozen=True)
class LinearOperator:
    """The linear, constant-coefficient part ``L u`` of a field's right-hand side.

    ``terms`` are ``(coefficient, orders)`` pairs: ``coefficient`` uses only
    parameters and ``orders`` gives the derivative order along each axis, so
    the term is ``coefficient * d^orders u``. On all-periodic spectral grids
    ``symbol`` is its Fourier symbol in the wavenumbers ``k_<axis>`` (a
    diagonal in Fourier space), else None. ``nonlinear`` is the rest of the
    right-hand side, ``rhs = L u + nonlinear``.
    """

    field: str
    terms: tuple[tuple[sympy.Expr, tuple[int, ...]], ...]
    symbol: sympy.Expr | None
    nonlinear: sympy.Expr


@dataclass(frozen=True)
class Discretization:
    """What the discretize pass (`modelc.passes.discretize`) produced.

    ``rhs`` maps each field to its semi-discrete right-hand side and ``observes``
    and ``state_rhs`` hold scalar expressions, all with the discrete operators of
    `modelc.spatial`, lets inlined. ``pads`` lists the ghost-padded copies used by
    finite differences: ``(symbol name, field or axis name, axis, ghosts)``.
    ``initial`` maps each field to its initial value on the grid;
    ``dealias`` names the fields whose right-hand side is filtered by the 2/3 rule;
    ``padded_shape``, when not empty, the zero-padded grid on which the rhs of an
    all-periodic spectral grid is evaluated before its spectrum is cut back to
    the grid's modes (``dealias = pad``; the fields then need no filter).
    ``nonlinear_rhs`` maps the fields of an all-periodic spectral grid that have
    a linear part to their discretised nonlinear part ``N`` (``rhs = L u + N``):
    code generation applies ``L`` as one diagonal in Fourier space
    (`modelc.fieldops.spectral_linear`).
    ``linear_rhs`` maps each field with a linear part on any other grid (finite
    differences, or scalar states beside the fields) to ``L u`` discretised
    like ``rhs`` (stencils, upwind differences, spectral derivatives): code
    generation applies it with homogeneous boundary values as the matrix-free
    operator of a ``"banded"``/``"operator"`` split.
    """

    rhs: tuple[tuple[str, sympy.Expr], ...]
    state_rhs: tuple[tuple[str, sympy.Expr], ...]
    observes: tuple[tuple[str, sympy.Expr], ...]
    pads: tuple[tuple[str, str, str, int], ...]
    linear: tuple[LinearOperator, ...]
    dealias: tuple[str, ...]
    nonlinear_rhs: tuple[tuple[str, sympy.Expr], ...] = ()
    linear_rhs: tuple[tuple[str, sympy.Expr], ...] = ()
    padded_shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class SplitInfo:
    """The semilinear structure ``f(t, u) = L(t) u + N(t, u)`` (`modelc.passes.split`).

    ``kind`` is ``"diagonal"`` (``entries`` are ``(i, i, L_ii)``),
    ``"matrix"`` (``(i, j, L_ij)``, the nonzeros) or ``"scalar"`` (one entry
    ``(0, 0, a)``: ``L = a(t) I``); entries use parameters and, for
    ``"scalar"`` only, ``t``. ``nonlinear`` is ``N``, one expression per
    state (lets inlined). ``constant``: ``L`` does not depend on ``t``.
    ``"fourier"`` (field models on all-periodic spectral grids, no
    ``entries``/``nonlinear``): ``L`` is diagonal in Fourier space, per field
    the symbol of ``discretization.linear``, and ``N`` is
    ``discretization.nonlinear_rhs``.
    ``"banded"`` (finite-difference field models) and ``"operator"`` (a
    spectral axis with scalar states beside the fields), no
    ``entries``/``nonlinear`` either: ``L`` is ``discretization.linear_rhs``
    applied with homogeneous boundary values (zero rows for scalar states
    and for fields without a linear part), ``N = rhs - L u`` (so affine
    boundary terms are in ``N``); ``bandwidth`` is the half-bandwidth of a
    ``"banded"`` ``L`` in the flat state (periodic axes add wrap-around
    corners: ``periodic``).
    """

    kind: str
    entries: tuple[tuple[int, int, sympy.Expr], ...]
    nonlinear: tuple[sympy.Expr, ...]
    constant: bool = True
    bandwidth: int | None = None
    periodic: bool = False


class Delay(sympy.Function):
    """``delay(expr, tau)``: ``expr``'s value at time ``t - tau`` (before t0 every state has
    its initial value). Never evaluated by SymPy; printed back as ``delay(expr, tau)``."""

    nargs = 2
    is_real = True

    def _sympystr(self, printer) -> str:
        return f"delay({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class DerValue(sympy.Function):
    """``der(x)`` used as a value inside an expression: the current rate of change of state
    or species ``x`` (the argument is ``x``'s symbol). Replaced by ``x``'s right-hand side
    (`modelc.passes.derivative_values`); printed back as ``der(x)``."""

    nargs = 1
    is_real = True

    def _sympystr(self, printer) -> str:
        return f"der({printer._print(self.args[0])})"


@dataclass(frozen=True)
class EventOptions:
    """The options of an ``event`` line, with the language's defaults.

    ``delay`` and ``priority`` are expressions (of parameters, states, lets and
    ``t``, evaluated when the event triggers); ``values`` is ``"trigger"`` or
    ``"execution"``.
    """

    delay: sympy.Expr = sympy.Integer(0)
    priority: sympy.Expr = sympy.Integer(0)
    persistent: bool = True
    values: str = "trigger"
    initial: bool = True


@dataclass(frozen=True)
class EventAssignment:
    """``target = expr`` in an event: sets a state or species when the event runs."""

    target: str
    expr: sympy.Expr
    span: Span


@dataclass(frozen=True)
class Event:
    """``event name when condition [, options]: assignments`` (or ``: stop``).

    ``name`` is the user's name or an automatic one (``event1``, ``event2``, ...
    by position). ``condition`` is a SymPy relational or boolean; the event fires
    when it changes from false to true. ``stop`` events have no assignments.
    """

    name: str
    condition: sympy.Basic
    options: EventOptions
    assignments: tuple[EventAssignment, ...]
    stop: bool
    span: Span

    @property
    def crossings(self) -> tuple[sympy.Expr, ...]:
        """One function ``g`` per comparison in the condition (in SymPy's order), whose
        sign change is where that comparison can switch: ``a > b`` and ``a >= b`` give
        ``a - b`` (the comparison holds where ``g > 0``), ``a < b`` and ``a <= b`` give
        ``b - a``, ``a == b`` and ``a != b`` give ``a - b``. The condition can change only
        where some ``g`` crosses zero (or at an event's assignments)."""
        found = []
        for rel in sympy.preorder_traversal(self.condition):
            if isinstance(rel, (sympy.Lt, sympy.Le)):
                found.append(rel.rhs - rel.lhs)
            elif isinstance(rel, (sympy.Gt, sympy.Ge, sympy.Eq, sympy.Ne)):
                found.append(rel.lhs - rel.rhs)
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Constraint:
    """``constraint lhs = rhs``: an algebraic equation that determines ``state`` (a state
    with no ``der`` that no event assigns; the pairing is made by the checker)."""

    lhs: sympy.Expr
    rhs: sympy.Expr
    state: str
    span: Span

    @property
    def residual(self) -> sympy.Expr:
        """``lhs - rhs``, zero when the constraint holds."""
        return self.lhs - self.rhs


@dataclass(frozen=True)
class Model:
    """A whole model: declarations in source order, plus its source text.

    ``lets`` are kept in source order (a valid model has no cycles among them);
    ``derivatives`` are in the order of ``states``. As parsed, ``species`` and
    ``reactions`` hold a reaction network; reaction lowering turns species into
    states with ``der`` equations, empties both and keeps ``network``. The
    simplify pass records what it did in ``simplification`` (a
    `modelc.passes.rewrite.SimplifyReport`; None when it did not run), and
    ``constants`` holds the ``(name, expr)`` pairs it hoisted: parameter-only
    subexpressions (in parameters and earlier constants) that the ``der`` and
    ``let`` expressions read by name and that generated code computes once per
    solve (`modelc.passes.rewrite.hoist`). ``safe_forms`` lists the rewrites made for
    floating-point accuracy (`modelc.passes.safe_forms`), one ``"<equation>: <rule>"``
    each.

    ``events`` are in file order. A state with no ``der`` in the file (one that
    only events change, or one a constraint determines) has the derivative 0.
    ``constraints`` are the algebraic equations still to be solved numerically;
    ``constraint_paths`` records, per constrained state, how its constraint was
    handled: ``"symbolic"`` (eliminated: the state became an observable) or
    ``"numerical"`` (kept in ``constraints``) (`modelc.passes.constraints`).
    """

    name: str
    doc: str | None
    parameters: tuple[Parameter, ...]
    states: tuple[State, ...]
    lets: tuple[Let, ...]
    observes: tuple[Observe, ...]
    derivatives: tuple[Derivative, ...]
    simulate: SimulateOptions = field(default_factory=SimulateOptions)
    file: str = "<string>"
    source: str = ""
    species: tuple[Species, ...] = ()
    reactions: tuple[Reaction, ...] = ()
    network: ReactionNetwork | None = None
    domains: tuple[Domain, ...] = ()
    fields: tuple[Field, ...] = ()
    boundaries: tuple[Boundary, ...] = ()
    field_derivatives: tuple[Derivative, ...] = ()
    discretization: Discretization | None = None
    split: SplitInfo | None = None
    constants: tuple[tuple[str, sympy.Expr], ...] = ()
    simplification: object | None = field(default=None, compare=False, repr=False)
    externals: tuple[External, ...] = ()
    noise_form: NoiseForm | None = None
    events: tuple[Event, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    constraint_paths: tuple[tuple[str, str], ...] = ()
    safe_forms: tuple[str, ...] = ()

    @property
    def has_arrays(self) -> bool:
        """True when the model has array states or calls external functions: it is
        compiled to functions of a tuple of states (`modelc.codegen.arrays`)."""
        return bool(self.externals) or any(s.array for s in self.states)

    @property
    def state_names(self) -> tuple[str, ...]:
        """State names in declaration order (the order of the state vector)."""
        return tuple(s.name for s in self.states)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Parameter names in declaration order (the order of the parameter vector)."""
        return tuple(p.name for p in self.parameters)

    @property
    def observe_names(self) -> tuple[str, ...]:
        """Observable names in declaration order."""
        return tuple(o.name for o in self.observes)

    @property
    def field_names(self) -> tuple[str, ...]:
        """Field names in declaration order."""
        return tuple(f.name for f in self.fields)

    @property
    def declared_names(self) -> tuple[str, ...]:
        """Every name the model's expressions may use, besides ``t``: the declarations
        (parameters, states, lets, observables, fields, domains, externals) and the
        constants the simplify pass hoisted."""
        groups = (self.parameters, self.states, self.lets, self.observes, self.fields,
                  self.domains, self.externals)
        names = [item.name for group in groups for item in group]
        return tuple(dict.fromkeys(names + [name for name, _ in self.constants]))

    def derivative_of(self, state: str) -> Derivative:
        """The ``der`` equation of ``state`` (or of a field)."""
        for d in self.derivatives + self.field_derivatives:
            if d.state == state:
                return d
        raise KeyError(state)


def _networkx():
    """networkx, imported on first use (it costs ~0.1 s of `modelc check`)."""
    import networkx

    return networkx
