"""Entry points: model text or file -> compiled model (`CompiledModel`).

The pipeline is `PASSES` applied in order to the parsed IR, then code
generation. A file's generated module is cached on disk (see `modelc.cache`),
so loading an unchanged file again skips parsing and code generation.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from . import cache
from .gcpause import relaxed_collection
from .symcache import unbounded_cache

if TYPE_CHECKING:   # imported in parse() when needed: checking a model needs no JAX
    from .compiled import CompiledModel

__all__ = ["load", "parse", "compile_source", "compile_to_file", "PASSES", "simplify_equations"]


def lower_reactions(model):
    """Reaction networks -> ``der`` equations (`modelc.passes.reactions`; imported on first use,
    so that loading a cached module never imports SymPy)."""
    from .passes.reactions import lower_reactions as run

    return run(model)


def derivative_values(model):
    """``der(x)`` used as a value -> x's right-hand side (`modelc.passes.derivative_values`)."""
    from .passes.derivative_values import substitute_derivative_values

    return substitute_derivative_values(model)


def eliminate_constraints(model, *, mode="auto"):
    """Constraints SymPy solves uniquely -> observables; with ``mode="numerical"`` none
    (`modelc.passes.constraints`)."""
    from .passes.constraints import eliminate_constraints as run

    return run(model, mode)


def require_solver_support(model):
    """Raise for events, delays and unsolved constraints, which the solvers do not run yet
    (`modelc.passes.unsupported`: the one place to remove when they do)."""
    from .passes.unsupported import require_solver_support as run

    return run(model)


def structured_network(model) -> bool:
    """Whether ``model`` is a large reaction network whose rhs and Jacobian are generated
    as arrays from its rates (`modelc.passes.network_form.use_structured`; issue 16):
    its ``der`` equations are then not simplified, split or put in noise form, which
    would cost time growing with the network and change nothing in its code."""
    if model.network is None:
        return False
    from .passes.network_form import use_structured

    return use_structured(model)


def simplify_equations(model, *, assume_positive=()):
    """E-graph simplification of the ``der`` and ``let`` expressions
    (`modelc.passes.rewrite.simplify_model`; imported on first use). Field
    models are left as written (their operators are discretised afterwards), and
    so are structured networks (`structured_network`)."""
    if model.fields or model.externals or structured_network(model):
        return model
    from .passes.rewrite import simplify_model

    return simplify_model(model, assume_positive=assume_positive)


def numerically_safe(model):
    """Removable singularities and cancellation rewritten away (``exprel``, ``expm1``,
    ``log1p``, ``hypot``; `modelc.passes.safe_forms`)."""
    from .passes.safe_forms import safe_model

    return safe_model(model)


def discretize(model):
    """Fields on domains -> a semi-discrete system by the method of lines
    (`modelc.passes.discretize`; a model without fields is returned unchanged)."""
    from .passes.discretize import discretize as run

    return run(model)


def split_semilinear(model, *, mode="auto"):
    """Record ``rhs = L u + N`` in ``model.split`` (`modelc.passes.split`); none for a
    structured network (`structured_network`)."""
    if structured_network(model):
        return model
    from .passes.split import split_semilinear as run

    return run(model, mode)


def diffusion_form(model):
    """Record ``der(x) = a(t) x + b(t) g`` in ``model.noise_form`` and keep only scalar
    splits of array models (`modelc.passes.noise_form`); a structured network has neither."""
    if structured_network(model):
        return model
    from .passes.noise_form import find_noise_form, scalar_split_only

    return find_noise_form(scalar_split_only(model))


# Pure passes ``ir.Model -> ir.Model``, in order: reactions are lowered to ODEs,
# der(x) values replaced, constraints eliminated where SymPy solves them (the others
# become the algebraic rows of a DAE; what the
# solvers cannot run yet is refused right after), equations simplified and made
# numerically safe, fields discretised; splitting (and the diffusion form, which
# reads the split) stays last.
PASSES: tuple = (lower_reactions, derivative_values, eliminate_constraints, require_solver_support,
                 simplify_equations, numerically_safe, discretize, split_semilinear, diffusion_form)


SBML_SUFFIXES = (".xml", ".sbml")


def _split_mode(split) -> str:
    """``split`` option -> mode: True/"auto", "diagonal", False/None/"none".

    (The modes of `modelc.passes.split.SPLIT_MODES`, not imported here so that a
    cached load never imports SymPy.)"""
    mode = {True: "auto", False: "none", None: "none"}.get(split, split)
    if mode not in ("auto", "diagonal", "none"):
        raise ValueError(f"split={split!r}; choose True ('auto'), 'diagonal' or False ('none')")
    return mode


def _lower(model, simplify: bool, assume_positive: tuple[str, ...], split, constraints="auto"):
    """Run `PASSES` with the compile options (simplify off skips its pass)."""
    for run_pass in PASSES:
        if run_pass is eliminate_constraints:
            model = run_pass(model, mode=constraints)
        elif run_pass is simplify_equations:
            if simplify:
                model = run_pass(model, assume_positive=assume_positive)
        elif run_pass is split_semilinear:
            model = run_pass(model, mode=_split_mode(split))
        else:
            model = run_pass(model)
    return model


def _options_key(reduce_conservation: bool, simplify: bool, assume_positive, split,
                 constraints="auto") -> str:
    """The compile options as part of the module cache key (empty for the defaults)."""
    parts = ["reduce_conservation"] if reduce_conservation else []
    if not simplify:
        parts.append("no_simplify")
    if assume_positive:
        parts.append("assume_positive=" + ",".join(sorted(assume_positive)))
    mode = _split_mode(split)
    if mode != "auto":
        parts.append(f"split={mode}")
    if constraints not in ("auto", "numerical"):  # modelc.passes.constraints.CONSTRAINT_MODES
        raise ValueError(f"constraints={constraints!r}; choose 'auto' or 'numerical'")
    if constraints != "auto":
        parts.append(f"constraints={constraints}")
    return ";".join(parts)


# SymPy's 1,000-entry caches thrash on models of thousands of terms (modelc.symcache).
@unbounded_cache
@relaxed_collection   # and the cyclic collector's passes over a growing heap (modelc.gcpause)
def compile_source(text: str, file: str = "<string>", *, reduce_conservation: bool = False,
                   simplify: bool = True, assume_positive=(), split=True,
                   constraints="auto") -> tuple[object, str]:
    """Parse, check, lower, simplify, split and generate: returns ``(ir_model, module_source)``.

    Args:
        text: the model file's contents.
        file: the name shown in error messages.
        reduce_conservation: eliminate one species per conservation law of the
            reaction network (see `modelc.passes.reactions.eliminate_conserved`).
        simplify: run the e-graph simplification pass (see docs/simplify.md).
        assume_positive: parameter and state names taken to be positive, which
            lets the pass cancel ``x/x`` and split ``log(x*y)`` for them.
        split: the semilinear split for exponential integrators: True (or
            "auto", the largest safe linear part), "diagonal" (only diagonal
            linear terms) or False (or "none": no split; exponential split
            methods are then unavailable).
        constraints: "auto" (eliminate the constraints SymPy solves uniquely,
            solve the others numerically) or "numerical" (solve every one
            numerically, as a DAE; docs/dae.md).
    Raises:
        ModelError: for any problem in the model text, with file:line:col.
        ValueError: when ``assume_positive`` names no parameter or state.
    """
    from .codegen import generate_module
    from .frontend.parser import parse_source
    from .passes.reactions import eliminate_conserved

    _check_text(text, file)
    model = parse_source(text, file)
    if reduce_conservation:
        # Right after lowering, before any later pass (lowering again is a no-op).
        model = eliminate_conserved(lower_reactions(model))
    assume_positive = tuple(assume_positive)
    model = _lower(model, simplify, assume_positive, split, constraints)
    key = cache.module_key(text, options=_options_key(reduce_conservation, simplify,
                                                      assume_positive, split, constraints), file=file)
    return model, generate_module(model, source_hash=key)


def parse(text: str, file: str = "<string>", *, cache_modules: bool = True,
          reduce_conservation: bool = False, simplify: bool = True,
          assume_positive=(), split=True, constraints="auto") -> CompiledModel:
    """Compile model text into a `CompiledModel` (its generated module is cached too).

    Args:
        reduce_conservation: eliminate one species per conservation law; each
            total becomes a parameter ``total_<species>`` and the species an
            observable.
        simplify: run the e-graph simplification pass (on by default).
        assume_positive: names of parameters and states to treat as positive
            in simplification (see `compile_source`).
        split: True/"auto", "diagonal" or False/"none" (see `compile_source`).
        constraints: "auto" or "numerical" (see `compile_source`).
    Raises:
        ModelError: for any problem in the text, naming ``file:line:col``, and for
            text that is not a `str`.
    """
    from .compiled import CompiledModel  # JAX: not needed to check or show a model

    _check_text(text, file)
    options = {"reduce_conservation": reduce_conservation, "simplify": simplify,
               "assume_positive": tuple(assume_positive), "split": split, "constraints": constraints}
    key = cache.module_key(text, options=_options_key(**options), file=file)
    if cache_modules:  # warm starts: compiled XLA programs are reused by the next process
        from .xla_cache import use_compilation_cache

        use_compilation_cache()
    cached = cache.cached_module_path(key)
    if cache_modules and cached.exists():
        module = cache.import_module_file(cached)
        return CompiledModel(module, source=cached.read_text(encoding="utf-8"),
                             recompile=lambda: compile_source(text, file, **options)[0])
    model, source = compile_source(text, file, **options)
    if cache_modules:
        module = cache.import_module_file(cache.store_module(key, source))
    else:
        with tempfile.TemporaryDirectory(prefix="modelc_") as folder:   # nothing left behind
            module_path = Path(folder) / f"m_{key}.py"
            module_path.write_text(source, encoding="utf-8")
            module = cache.import_module_file(module_path)
    return CompiledModel(module, source=source, ir=model)


def _check_text(text, file) -> None:
    """The model text must be a `str` (a `ModelError` says what was given instead)."""
    if isinstance(text, str):
        return
    from .errors import Diagnostic, ModelError

    hint = ("decode it first: text.decode('utf-8')" if isinstance(text, (bytes, bytearray))
            else "pass the model's text, or use modelc.load(path) for a file")
    raise ModelError(Diagnostic(None, f"{file}: the model text must be a str, got "
                                      f"{type(text).__name__}", hint))


def load(path: str | Path, *, cache_modules: bool = True, reduce_conservation: bool = False,
         simplify: bool = True, assume_positive=(), split=True, constraints="auto") -> CompiledModel:
    """Compile a ``.model`` file (or an SBML ``.xml`` file) into a `CompiledModel`
    (for SBML, a `modelc.io.sbml_model.SbmlModel` wrapping one, whose solutions
    answer to every SBML id).

    Args:
        path: the model file.
        cache_modules: reuse (and store) the generated module in the cache
            folder; ``False`` always recompiles.
        reduce_conservation: eliminate one species per conservation law of
            the reaction network (see `parse`).
        simplify: run the e-graph simplification pass; ``False`` compiles the
            equations as written.
        assume_positive: parameter and state names to treat as positive in
            simplification (see docs/simplify.md).
        split: the semilinear split for exponential integrators: True/"auto",
            "diagonal" or False/"none" (see `compile_source`).
        constraints: "auto" or "numerical" (see `compile_source`).
    Raises:
        ModelError: for any problem in the file, naming ``path:line:col``.
    """
    path = Path(path)
    options = {"cache_modules": cache_modules, "reduce_conservation": reduce_conservation,
               "simplify": simplify, "assume_positive": assume_positive, "split": split,
               "constraints": constraints}
    if path.suffix.lower() in SBML_SUFFIXES:
        # (io/: its solutions also answer to every SBML id, e.g. constant species)
        from .io.sbml import translate_sbml
        from .io.sbml_model import SbmlModel

        translation = translate_sbml(path)
        return SbmlModel(parse(translation.text, str(path), **options), translation)
    return parse(path.read_text(encoding="utf-8"), str(path), **options)


def compile_to_file(path: str | Path, out: str | Path, *, simplify: bool = True,
                    assume_positive=()) -> Path:
    """Compile a model file and write its generated module to ``out``
    (``simplify`` and ``assume_positive`` as in `load`)."""
    path = Path(path)
    _, source = compile_source(path.read_text(encoding="utf-8"), str(path), simplify=simplify,
                               assume_positive=assume_positive)
    out = Path(out)
    out.write_text(source, encoding="utf-8")
    return out
