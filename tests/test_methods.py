"""The names-only method table agrees with the runtime's registry and the steppers'
own declarations (marker base classes and ``family``)."""

from modelc import methods, solvers
from modelc.solvers.diffusion import SAMPLER_NAMES as RUNTIME_SAMPLERS


def test_method_names_match_the_runtime():
    assert set(methods.METHOD_NAMES) == set(solvers.METHODS)
    assert set(methods.SAMPLER_NAMES) == set(RUNTIME_SAMPLERS)


def test_declared_properties_match_the_steppers():
    for name in methods.METHOD_NAMES:
        info, stepper = methods.METHOD_INFO[name], solvers.METHODS[name]
        auto = isinstance(stepper, solvers.AutoStepper)
        assert info.family == stepper.family, name
        assert info.needs_split == isinstance(stepper, solvers.SplitStepper), name
        assert info.constant_linear == isinstance(stepper, solvers.ConstantLinearStepper), name
        assert info.fixed_step == (not (auto or isinstance(stepper, solvers.AdaptiveStepper))), name
        if not auto:
            assert info.dense_output == isinstance(stepper, solvers.DenseOutputStepper), name


def test_aliases_share_their_stepper():
    for info in methods.METHOD_INFO.values():
        if info.alias_of is not None:
            assert solvers.METHODS[info.name] == solvers.METHODS[info.alias_of]


def test_phi_choices_match_the_runtime():
    assert methods.PHI_METHODS == solvers.krylov.PHI_METHODS


def test_the_docs_table_is_the_registry():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text()
    table = text.split("<!-- methods table -->\n", 1)[1].split("\n<!-- end methods table -->", 1)[0]
    assert table == methods.method_table()

