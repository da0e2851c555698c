"""The solve methods by name: what each one is, as plain data.

A leaf module (it imports nothing from modelc and nothing numeric), so the
parser's checks and the command line can name and describe the methods
without loading JAX. The runtime's registry (`modelc.solvers.methods`) maps
the same names to stepper objects; a test checks that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MethodInfo", "METHOD_INFO", "METHOD_NAMES", "SAMPLER_NAMES", "ALL_METHOD_NAMES", "method_table",
           "FIXED_STEP_METHODS", "PHI_METHODS", "method_help"]


@dataclass(frozen=True)
class MethodInfo:
    """What a solve method is.

    Attributes:
        name: the name users write (``method = tsit5``).
        family: ``explicit``, ``rosenbrock``, ``esdirk``, ``exponential``,
            ``exponential-multistep``, ``exponential-rosenbrock``, ``auto`` or ``sampler``.
        fixed_step: takes steps of a given size (``dt`` or ``steps``) instead of
            adapting them to a tolerance.
        needs_split: needs the semilinear split ``f = L u + N`` of the model.
        constant_linear: needs ``L`` to be independent of time.
        summary: one line for help texts and the docs' table.
        alias_of: the canonical name when this name is an alias.
    """

    name: str
    family: str
    fixed_step: bool
    needs_split: bool
    constant_linear: bool
    summary: str
    alias_of: str | None = None

    @property
    def dense_output(self) -> bool:
        """Has a continuous extension: every adaptive ODE method (outputs fall between
        its steps); fixed-step methods land on the output times instead."""
        return not self.fixed_step and self.family not in ("auto", "sampler")


def _info(name, family, fixed, split, constant, summary, alias_of=None):
    return MethodInfo(name, family, fixed, split, constant, summary, alias_of)


_ODE_METHODS = (
    _info("tsit5", "explicit", False, False, False, "Tsitouras 5(4), FSAL"),
    _info("dopri5", "explicit", False, False, False, "Dormand-Prince 5(4), FSAL"),
    _info("dopri8", "explicit", False, False, False, "Dormand-Prince 8(5,3), for tight tolerances"),
    _info("bosh3", "explicit", False, False, False, "Bogacki-Shampine 3(2), for loose tolerances"),
    _info("rk4", "explicit", True, False, False, "classical fourth-order Runge-Kutta, fixed step"),
    _info("euler", "explicit", True, False, False, "forward Euler, fixed step"),
    _info("rodas5", "rosenbrock", False, False, False, "Rosenbrock 5(4) for stiff problems"),
    _info("kvaerno5", "esdirk", False, False, False, "ESDIRK 5(4), simplified Newton, stiff"),
    _info("auto", "auto", False, False, False,
          "the default of solve/simulate/solver() (solver(): chosen once when built): tsit5, "
          "rodas5 or etdrk43, whichever has the least "
          "predicted work (steps from the spectrum, work per step from XLA's cost analysis)"),
    _info("etd1", "exponential", True, True, False, "exponential Euler, fixed step"),
    _info("etdrk2", "exponential", True, True, False, "exponential RK of order 2, fixed step"),
    _info("etdrk4", "exponential", True, True, False, "Cox-Matthews ETDRK4, fixed step"),
    _info("etdrk4b", "exponential", True, True, False, "Krogstad's ETDRK4, fixed step"),
    _info("krogstad", "exponential", True, True, False, "Krogstad's ETDRK4, fixed step",
          alias_of="etdrk4b"),
    _info("etdrk43", "exponential", False, True, False,
          "adaptive ETDRK4 with an embedded order-3 estimate"),
    _info("lawson4", "exponential", True, True, False, "Lawson RK4 (integrating factor), fixed step"),
    _info("etdab2", "exponential-multistep", True, True, True,
          "exponential Adams-Bashforth of order 2, fixed step"),
    _info("etdab3", "exponential-multistep", True, True, True,
          "exponential Adams-Bashforth of order 3, fixed step"),
    _info("etdab4", "exponential-multistep", True, True, True,
          "exponential Adams-Bashforth of order 4, fixed step"),
    _info("exprb32", "exponential-rosenbrock", False, False, False,
          "exponential Rosenbrock 3(2), adaptive"),
    _info("exprb43", "exponential-rosenbrock", False, False, False,
          "exponential Rosenbrock 4(3), adaptive"),
)

_SAMPLERS = (
    _info("ddim", "sampler", True, False, False, "DDIM (first order; the same update as DPM-Solver-1)"),
    _info("dpm_solver_1", "sampler", True, False, False, "DPM-Solver-1"),
    _info("dpm_solver_2", "sampler", True, False, False, "DPM-Solver-2 (singlestep)"),
    _info("dpm_solver_3", "sampler", True, False, False, "DPM-Solver-3 (singlestep)"),
    _info("dpm_solver_pp_2m", "sampler", True, False, False, "DPM-Solver++(2M), multistep"),
    _info("deis_1", "sampler", True, False, False, "DEIS, order 1 (t-AB)"),
    _info("deis_2", "sampler", True, False, False, "DEIS, order 2 (t-AB)"),
    _info("deis_3", "sampler", True, False, False, "DEIS, order 3 (t-AB)"),
    _info("deis_rho_1", "sampler", True, False, False, "DEIS, order 1 (rho-AB)"),
    _info("deis_rho_2", "sampler", True, False, False, "DEIS, order 2 (rho-AB)"),
    _info("deis_rho_3", "sampler", True, False, False, "DEIS, order 3 (rho-AB)"),
    _info("searched", "sampler", True, False, False, "a searched per-step schedule (schedule=)"),
    _info("dpm_solver_v3", "sampler", True, False, False,
          "DPM-Solver-v3, multistep predictor-corrector with empirical model statistics "
          "(statistics=)"),
)

METHOD_INFO: dict[str, MethodInfo] = {m.name: m for m in (*_ODE_METHODS, *_SAMPLERS)}
"""Every method name, ODE methods first, then the diffusion samplers."""

METHOD_NAMES: tuple[str, ...] = tuple(m.name for m in _ODE_METHODS)
"""The ODE methods (``modelc.solvers.METHODS`` has the same keys)."""

SAMPLER_NAMES: tuple[str, ...] = tuple(m.name for m in _SAMPLERS)
"""The diffusion samplers (array models with ``external eps``)."""

ALL_METHOD_NAMES: tuple[str, ...] = METHOD_NAMES + SAMPLER_NAMES

FIXED_STEP_METHODS: tuple[str, ...] = tuple(m.name for m in _ODE_METHODS if m.fixed_step)
"""ODE methods that take a given step (``dt`` or ``steps``), never adapted."""

PHI_METHODS: tuple[str, ...] = ("auto", "dense", "krylov")
"""How split methods evaluate the phi-functions of a matrix-free L (`modelc.solvers.krylov`)."""


def method_help() -> str:
    """The method names as one comma-separated line for help texts."""
    return ", ".join(ALL_METHOD_NAMES)


def method_table() -> str:
    """Every method as a Markdown table (name, family, step, needs, summary): the table in
    docs/api.md, which a test keeps equal to this."""
    rows = ["| method | family | step | needs | what it is |", "| --- | --- | --- | --- | --- |"]
    for m in METHOD_INFO.values():
        needs = ", ".join(n for n, flag in (("split", m.needs_split), ("constant L", m.constant_linear))
                          if flag) or "-"
        step = "fixed" if m.fixed_step else ("chosen" if m.family == "auto" else "adaptive")
        summary = m.summary + (f" (alias of `{m.alias_of}`)" if m.alias_of else "")
        rows.append(f"| `{m.name}` | {m.family} | {step} | {needs} | {summary} |")
    return "\n".join(rows)
