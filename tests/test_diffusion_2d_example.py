"""examples/diffusion_2d: the trained two-moons noise prediction samples the moons."""

import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import modelc

HERE = Path(__file__).resolve().parents[1] / "examples" / "diffusion_2d"


@pytest.mark.slow
def test_trained_eps_samples_two_moons():
    """The committed weights load; DEIS-3 at 10 evaluations from examples/diffusion_gmm.model
    gives samples whose sliced Wasserstein distance to held-out moons data is small (0.08 at
    2,000 samples, docs/expint.md; the noise itself is at 0.44)."""
    sys.path.insert(0, str(HERE))
    from moons import MODEL, eps, sliced_wasserstein, two_moons

    x = jax.random.normal(jax.random.PRNGKey(0), (500, 2))
    assert eps(x, 0.5).shape == (500, 2)
    sol = modelc.load(MODEL).solve(t=(1.0, 1e-3), y0={"x": x}, externals={"eps": eps},
                                   method="deis_3", steps=10)
    out = np.asarray(sol["x"][-1])
    held = two_moons(500, seed=123)
    assert np.all(np.isfinite(out))
    assert sliced_wasserstein(out, held) < 0.15
    assert sliced_wasserstein(np.asarray(x), held) > 0.3
