"""Ensembles: batch semantics, chunking, per-member status, sharding over devices."""

import os
import socket
import subprocess
import sys
from pathlib import Path


import numpy as np
import pytest

import modelc
from modelc.ensemble import cpu_workers
from modelc.errors import SolveError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

def test_members_match_exact_solutions_in_chunks(decay):
    k = np.linspace(0.1, 3.0, 7)
    u0 = np.linspace(1.0, 2.0, 7)
    sol = decay.ensemble(params={"k": k}, y0={"u": u0}, t=(0, 1), points=3, rtol=1e-10,
                         atol=1e-12, chunk_size=3)
    exact = u0[:, None] * np.exp(-np.outer(k, sol.t))
    assert sol.y.shape == (7, 3, 1)
    np.testing.assert_allclose(sol["u"], exact, rtol=1e-8)
    np.testing.assert_allclose(sol["twice"], 2 * exact, rtol=1e-8)
    assert sol.ok and sol.status.shape == (7,) and sol.stats["steps"].shape == (7,)
    member = sol.member(4)
    np.testing.assert_allclose(member["u"], exact[4], rtol=1e-8)


def test_failing_member_is_reported_in_its_status(decay):
    sol = decay.ensemble(params={"k": np.array([1.0, -400.0])}, t=(0, 1), points=3,
                         max_steps=20, method="tsit5")  # auto would run rodas5's few steps
    assert list(sol.status) == [0, int(modelc.Status.MAX_STEPS_REACHED)]
    assert not sol.ok


def test_mismatched_lengths_are_an_error(decay):
    with pytest.raises(SolveError, match="different lengths"):
        decay.ensemble(params={"k": np.ones(3)}, y0={"u": np.ones(4)})


def _run(args, env_extra, timeout=240):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    return subprocess.Popen([sys.executable, str(HERE / "sharded_run.py"), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sharded_over_four_cpu_devices_equals_unsharded():
    proc = _run([], {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"})
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-3000:]
    assert out.split() == ["OK", "4"]


@pytest.mark.slow
def test_two_process_jax_distributed_on_localhost():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    procs = [_run([str(i), "2", str(port)], env) for i in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err[-3000:]
        assert out.split()[-2:] == ["OK", "4"], out[-2000:]  # Gloo may log to stdout first


def test_default_cpu_chunks_equal_member_solves():
    from modelc.ensemble import CPU_CHUNK, _chunk_size
    assert _chunk_size(10_000, None, 2, cpu=True) == 2 * CPU_CHUNK
    assert _chunk_size(10_000, None, 2, cpu=False) == 10_000
    assert _chunk_size(100, None, 1, cpu=True) == 100
    m = modelc.load(ROOT / "examples" / "lorenz.model")
    n = CPU_CHUNK + 5  # two chunks, the second padded
    rho = np.linspace(20.0, 30.0, n)
    ts = np.linspace(0.0, 2.0, 5)
    sol = m.ensemble(params={"rho": rho}, saveat=ts, rtol=1e-6, atol=1e-6)
    import jax
    assert sol.y.shape == (n, 5, 3)
    if jax.default_backend() == "cpu":
        assert sol.stats["chunk_size"] == CPU_CHUNK
    assert sol.ok
    for i in (0, CPU_CHUNK - 1, CPU_CHUNK, n - 1):
        one = m.solve(params={"rho": rho[i]}, saveat=ts, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(sol.y[i], one.y, rtol=0, atol=1e-10)
        np.testing.assert_allclose(sol.observables[i], one.observables, rtol=0, atol=1e-10)
        for k in ("nfe", "steps", "accepted", "rejected"):
            assert sol.stats[k][i] == one.stats[k], (i, k)


def _sine(x, t):
    """An external f(x, t)."""
    import jax.numpy as jnp
    return jnp.sin(x)


ARRAY_DECAY = """
model array_decay
parameter k = 1.0, a = 0.0
external f(x, t)
state x: array, y = 1
der(x) = -k*x + a*f(x, t)
der(y) = -k*y
"""


def test_array_model_members_equal_exact_and_single_solves():
    """y0 batch of arrays, per-member k, the external bound once: x = x0 exp(-k t) and
    every member equals its own solve (values and step counts)."""
    m = modelc.parse(ARRAY_DECAY)
    k = np.linspace(0.5, 2.0, 5)
    x0 = np.random.default_rng(0).normal(size=(5, 3, 2))
    kwargs = dict(t=(0, 1), points=4, rtol=1e-10, atol=1e-12, externals={"f": _sine})
    sol = m.ensemble(params={"k": k}, y0={"x": x0}, chunk_size=2, **kwargs)
    assert sol.fields["x"].shape == (5, 4, 3, 2) and sol.y.shape == (5, 4, 1)
    assert sol.ok and sol.status.shape == (5,)
    exact = x0[:, None] * np.exp(-k[:, None, None, None] * sol.t[None, :, None, None])
    np.testing.assert_allclose(sol["x"], exact, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(sol["y"], np.exp(-np.outer(k, sol.t)), rtol=1e-8)
    for i in (0, 4):
        one = m.solve(params={"k": k[i]}, y0={"x": x0[i]}, **kwargs)
        np.testing.assert_allclose(sol.member(i)["x"], one["x"], rtol=0, atol=1e-12)
        assert sol.stats["steps"][i] == one.stats["steps"]


def test_array_model_ensemble_errors_name_the_fix():
    m = modelc.parse(ARRAY_DECAY)
    with pytest.raises(SolveError, match="pass externals"):
        m.ensemble(params={"k": np.ones(2)}, y0={"x": np.ones((2, 3))}, t=(0, 1))
    with pytest.raises(SolveError, match="different lengths.*member axis first"):
        m.ensemble(params={"k": np.ones(2)}, y0={"x": np.ones(3)}, t=(0, 1),
                   externals={"f": _sine})
    with pytest.raises(SolveError, match="sampler"):
        m.ensemble(params={"k": np.ones(2)}, y0={"x": np.ones((2, 3))},
                   externals={"f": _sine}, method="ddim", t=(0, 1))


def test_concurrent_cpu_chunks_equal_one_at_a_time(decay, monkeypatch):
    """Chunks run on several threads at once give the same members, in order, as
    chunks run one after another (MODELC_CPU_WORKERS=1), to the last bit."""
    k = np.linspace(0.5, 2.0, 7)
    monkeypatch.setenv("MODELC_CPU_WORKERS", "3")
    assert cpu_workers() == 3
    together = decay.ensemble(params={"k": k}, t=[0, 1], points=5, chunk_size=2)
    monkeypatch.setenv("MODELC_CPU_WORKERS", "1")
    apart = decay.ensemble(params={"k": k}, t=[0, 1], points=5, chunk_size=2)
    np.testing.assert_array_equal(together.y, apart.y)
    np.testing.assert_array_equal(together.status, apart.status)
    np.testing.assert_allclose(together.y[:, -1, 0], 2 * k * np.exp(-k), rtol=1e-5)  # u(0) = 2k


def test_auto_takes_the_most_robust_method_any_member_needs(decay):
    """``method="auto"`` probes every member: a batch of mild decay rates stays
    explicit; one stiff member (k = 1e6 over t = 0..1: an explicit method would need
    ~3e5 steps) makes the whole ensemble stiff, and every member is then solved as its
    as its own ``m.solve(method="auto")`` would choose for it (the stiffness is in
    the linear part ``-k u``: the exponential method)."""
    mild = decay.ensemble(params={"k": np.array([0.5, 2.0])}, t=(0, 1), points=3,
                          method="auto")
    assert mild.stats["method"] == "tsit5"
    assert "2 non-stiff" in mild.stats["auto"]
    k = np.array([0.5, 1e6, 2.0])
    sol = decay.ensemble(params={"k": k}, t=(0, 1), points=5, method="auto", rtol=1e-8,
                         atol=1e-10)
    assert sol.stats["method"] == "etdrk43" and sol.ok
    assert "2 non-stiff, 1 stiff in L only" in sol.stats["auto"]
    assert "deciding member 1" in sol.stats["auto"]
    for i, ki in enumerate(k):
        alone = decay.solve(params={"k": ki}, t=(0, 1), points=5, method="auto", rtol=1e-8,
                            atol=1e-10)
        assert alone.stats["method"] == ("etdrk43" if ki > 1e3 else "tsit5")
        np.testing.assert_allclose(sol["u"][i], 2 * ki * np.exp(-ki * sol.t), rtol=1e-6,
                                   atol=1e-12)
