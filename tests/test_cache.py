"""Compile once: cached generated modules and the packaged grammar."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import modelc

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str, cache: Path, cwd: Path = ROOT, pythonpath: str | None = None) -> str:
    env = dict(os.environ, MODELC_CACHE_DIR=str(cache))
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_second_load_skips_parser_and_sympy(tmp_path):
    model = ROOT / "examples" / "lorenz.model"
    code = f"""
        import sys, modelc
        m = modelc.load({str(model)!r})
        sol = m.solve(t=(0, 1), points=3)
        print(sol.ok, 'sympy' in sys.modules, 'lark' in sys.modules)
    """
    assert _run(code, tmp_path).split() == ["True", "True", "True"]
    assert _run(code, tmp_path).split() == ["True", "False", "False"]
    assert len(list((tmp_path / "modules").glob("*.py"))) == 1


def test_changed_file_recompiles(tmp_path):
    import modelc
    from modelc import cache

    os.environ["MODELC_CACHE_DIR"], old = str(tmp_path), os.environ["MODELC_CACHE_DIR"]
    try:
        f = tmp_path / "m.model"
        f.write_text("model m\nstate x = 1\nder(x) = -x\n")
        assert modelc.load(f).defaults["x"] == 1.0
        f.write_text("model m\nstate x = 2\nder(x) = -x\n")
        assert modelc.load(f).defaults["x"] == 2.0
        assert len(list(cache.cache_dir().joinpath("modules").glob("*.py"))) == 2
    finally:
        os.environ["MODELC_CACHE_DIR"] = old


def test_cached_model_still_shows_equations(tmp_path):
    model = ROOT / "examples" / "vanderpol.model"
    code = f"""
        import modelc
        m = modelc.load({str(model)!r})
        print(len(m.equations))
    """
    _run(code, tmp_path)
    assert _run(code, tmp_path).strip() == "2"


def test_installed_wheel_finds_its_grammar(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(ROOT)], capture_output=True, text=True, timeout=300)
    if build.returncode != 0:
        pytest.fail(build.stderr)
    target = tmp_path / "site"
    wheel = next(wheels.glob("modelc-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, timeout=300)
    assert (target / "modelc" / "grammar" / "modelc.lark").is_file()
    assert (target / "modelc" / "rl" / "default_policy.npz").is_file()
    code = """
        import modelc
        from modelc.resources import grammar_path
        assert 'site' in str(grammar_path()), grammar_path()
        m = modelc.parse("model m\\nstate x = 1\\nder(x) = -x\\n", cache_modules=False)
        print(m.solve(t=(0, 1), points=2).ok)
    """
    assert _run(code, tmp_path / "cache", cwd=tmp_path, pythonpath=str(target)).strip() == "True"


def test_simplify_option_is_part_of_the_module_cache_key():
    text = ("model factor_cache\nparameter k1 = 2\nstate x = 1\nstate y = 1\nstate z = 1\n"
            "der(x) = k1*x*y + k1*x*z + k1*x\nder(y) = 0\nder(z) = 0\n")
    simplified = modelc.parse(text)
    plain = modelc.parse(text, simplify=False)
    again = modelc.parse(text)            # from the cache
    assert "y_ + z_ + 1" in simplified.generated_source
    assert "y_ + z_ + 1" not in plain.generated_source
    assert again.generated_source == simplified.generated_source


def test_uncached_parse_leaves_no_temporary_files(tmp_path, monkeypatch):
    """parse(..., cache_modules=False) imports its module from a folder it removes again."""
    import tempfile

    import modelc

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    m = modelc.parse("state x = 1\nder(x) = -x\n", cache_modules=False)
    assert list(tmp_path.iterdir()) == []
    assert abs(float(m.solve(t=(0, 1), points=2)["x"][-1]) - 0.36787944117144233) < 1e-6
