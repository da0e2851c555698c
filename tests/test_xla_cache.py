"""Warm starts from Python: a second process reuses the compiled XLA programs and the
serialized (exported) solve, so it neither compiles nor traces the model again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import pytest

from modelc import xla_cache

ROOT = Path(__file__).resolve().parent.parent

SOLVE = textwrap.dedent(f"""
    import json, jax
    events = {{}}
    jax.monitoring.register_event_listener(
        lambda name, **kw: events.__setitem__(name, events.get(name, 0) + 1))
    import modelc
    m = modelc.load({str(ROOT / "examples" / "lorenz.model")!r})
    traced = []
    rhs = m.module.rhs
    m.module.rhs = lambda *a: traced.append(1) or rhs(*a)   # counts the traces of the rhs
    import modelc.runs
    probes, probe = [], modelc.runs._probe_and_choose   # counts auto's probes
    modelc.runs._probe_and_choose = lambda *a: probes.append(1) or probe(*a)
    sol = m.solve(t=(0.0, 1.0), points=5, method="auto")   # the stiffness probe, then tsit5
    print(json.dumps({{"ok": bool(sol.ok), "x": float(sol["x"][-1]), "traced": len(traced),
                       "probes": len(probes), "auto": sol.stats["auto"],
                       "hits": events.get("/jax/compilation_cache/cache_hits", 0),
                       "misses": events.get("/jax/compilation_cache/cache_misses", 0)}}))
""")


def _solve_in_new_process(cache: Path) -> dict:
    env = dict(os.environ, MODELC_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("MODELC_XLA_CACHE", None)
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", SOLVE], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_compiled_solve_from_the_cache(tmp_path):
    first = _solve_in_new_process(tmp_path)
    stored = list((tmp_path / "xla").iterdir())
    assert first["ok"] and first["misses"] >= 1 and stored   # compiled, and written to disk
    second = _solve_in_new_process(tmp_path)
    # (no assertion on JAX's misses: a tiny eager program that compiled in under the
    # cache's 0.1 s threshold in the first process is not stored, and misses in the second)
    assert second["ok"] and second["x"] == first["x"]        # the same program, the same numbers
    # the compiled solve was stored by the first process and not traced by the second
    assert len(list((tmp_path / "exported").glob("*.executable"))) == 2   # the probe and the solve
    assert first["traced"] > 0 and second["traced"] == 0
    # auto's choice for the same inputs was stored too: the second process does not probe
    assert len(list((tmp_path / "exported").glob("v_*.json"))) == 1
    assert first["probes"] == 1 and second["probes"] == 0 and second["auto"] == first["auto"]


def test_the_environment_variable_leaves_jax_untouched(monkeypatch):
    monkeypatch.setenv(xla_cache.ENV, "0")
    monkeypatch.setattr(xla_cache, "_done", [])
    before = (jax.config.jax_compilation_cache_dir, jax.config.jax_persistent_cache_min_compile_time_secs)
    assert not xla_cache.wanted()
    assert xla_cache.use_compilation_cache() is None
    assert (jax.config.jax_compilation_cache_dir,
            jax.config.jax_persistent_cache_min_compile_time_secs) == before


def test_a_folder_the_user_chose_is_kept(monkeypatch, tmp_path):
    monkeypatch.delenv(xla_cache.ENV, raising=False)
    monkeypatch.setattr(xla_cache, "_done", [])
    mine = str(tmp_path / "mine")
    old = jax.config.jax_compilation_cache_dir
    jax.config.update("jax_compilation_cache_dir", mine)
    try:
        assert xla_cache.use_compilation_cache() == Path(mine)
        assert jax.config.jax_compilation_cache_dir == mine
    finally:
        jax.config.update("jax_compilation_cache_dir", old)


@pytest.mark.slow
def test_a_damaged_export_is_replaced(tmp_path):
    first = _solve_in_new_process(tmp_path)
    path = sorted((tmp_path / "exported").glob("*.executable"))[0]
    path.write_bytes(b"garbage")
    again = _solve_in_new_process(tmp_path)
    assert again["x"] == first["x"] and again["traced"] > 0     # traced and exported afresh
    assert path.read_bytes() != b"garbage"


def test_a_stored_program_that_fails_to_run_is_removed_and_traced(monkeypatch, tmp_path):
    """A stored executable that loads but fails at run time (e.g. a kernel this process
    has not registered): the jitted run answers, and the file is removed so the next
    process exports it afresh."""
    import jax.numpy as jnp

    from modelc import exported

    monkeypatch.setattr(exported, "cache_dir", lambda: tmp_path)
    run = exported.ExportedRun(jax.jit(lambda x: 2 * x), "key")
    x = jnp.arange(3.0)
    sig = exported._signature((x,))
    path = run._path(sig)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"stored")

    def broken(*args):
        raise jax.errors.JaxRuntimeError("NOT_FOUND: Function wrapped_slice not found")

    run.loaded[sig] = broken
    assert list(run(x)) == [0.0, 2.0, 4.0]
    assert not path.exists() and run.loaded[sig] is run.jitted
