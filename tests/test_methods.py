"""The names-only method table agrees with the runtime's registry."""

from modelc import methods, solvers
from modelc.solvers.diffusion import SAMPLER_NAMES as RUNTIME_SAMPLERS


def test_method_names_match_the_runtime():
    assert set(methods.METHOD_NAMES) == set(solvers.METHODS)
    assert set(methods.SAMPLER_NAMES) == set(RUNTIME_SAMPLERS)


def test_declared_properties_match_the_steppers():
    for name in methods.METHOD_NAMES:
        info, stepper = methods.METHOD_INFO[name], solvers.METHODS[name]
        assert info.needs_split == isinstance(stepper, solvers.SplitStepper), name
        assert info.constant_linear == isinstance(stepper, solvers.ETDAB), name
        assert info.fixed_step == (not isinstance(stepper, (solvers.AdaptiveStepper, solvers.AutoStepper))), name


def test_phi_choices_match_the_runtime():
    assert methods.PHI_METHODS == solvers.krylov.PHI_METHODS
