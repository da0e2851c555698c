"""Careless command lines are refused with one ``error:`` line and exit 1 — never a hang,
a traceback or a value silently ignored (issue #20's command-line items)."""

from __future__ import annotations

import numpy as np
import pytest

from modelc.cli import main
from modelc.cli.assignments import (UsageError, function, interval, number, open_interval,
                                    parse_assignments)

DECAY = """
model decay
parameter k = 1.0, c = 2.0
state u = 2.0
der(u) = -k*u + 0*c
simulate t = [0, 3]
"""


def _error_line(capsys) -> str:
    """The one line on stderr; fails on a traceback or several lines."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("options, message", [
    (["--t", "0", "nan"], "--t: the end time is nan"),
    (["--t", "0", "inf"], "--t: the end time is inf"),
    (["--t", "nan", "1"], "--t: the start time is nan"),
    (["--t", "1", "1"], "[1, 1] is empty"),
    (["--points", "0"], "--points must be a whole number of at least 2, got 0"),
    (["--points", "1"], "at least 2, got 1"),
    (["--atol=-1e-8"], "--atol must be a positive finite number, got -1e-08"),
    (["--rtol", "nan"], "--rtol must be a positive finite number, got nan"),
    (["--rtol", "0"], "--rtol must be a positive finite number"),
    (["--dt", "inf"], "--dt must be a positive finite number"),
    (["--steps", "0"], "--steps must be a whole number of at least 1"),
    (["--max-steps", "-5"], "--max-steps must be a whole number of at least 1"),
    (["-p", "rho=nan"], "--param rho: 'nan' is not a finite number"),
    (["-p", "rho=__import__('os')"], "is not a number"),
    (["-p", "1x=2"], "--param expects NAME=VALUE, got '1x=2'"),
    (["-p", "rho=1", "-p", "rho=2"], "--param rho is given twice"),
    (["--y0", "x=abc"], "(an array is given as @FILE.npy)"),
    (["--method", "tsit6"], "--method tsit6: no such method; did you mean 'tsit5'?"),
])
def test_simulate_refuses_unusable_options_before_solving(examples_dir, capsys, options,
                                                          message):
    assert main(["simulate", str(examples_dir / "lorenz.model"), *options]) == 1
    assert message in _error_line(capsys)


def test_check_reports_every_file_after_a_missing_one(examples_dir, tmp_path, capsys):
    bad = tmp_path / "bad.model"
    bad.write_text("model bad\nstate x = 1\nder(x) = -y\n")
    lorenz, vdp = str(examples_dir / "lorenz.model"), str(examples_dir / "vanderpol.model")
    assert main(["check", lorenz, "/no/such.model", str(bad), vdp, str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{lorenz}: ok (3 states, 3 parameters, 0 observables)",
                                f"{vdp}: ok (2 states, 1 parameter, 0 observables)"]
    assert "error: /no/such.model: No such file or directory" in err
    assert f"{bad}:3:11" in err and f"error: {tmp_path}: Is a directory" in err
    assert "Traceback" not in err
    assert main(["check", lorenz, vdp]) == 0


def test_check_refuses_a_file_that_is_not_text(tmp_path, capsys):
    binary = tmp_path / "x.model"
    binary.write_bytes(b"\xff\xfe\x00model")
    assert main(["check", str(binary)]) == 1
    assert "not a UTF-8 text file" in _error_line(capsys)


def test_an_unexpected_exception_is_one_line_not_a_traceback(monkeypatch, examples_dir, capsys):
    from modelc.cli import show

    def broken(args):
        raise KeyError("boom")

    monkeypatch.setattr(show, "run", broken)
    monkeypatch.delenv("MODELC_TRACEBACK", raising=False)
    assert main(["show", str(examples_dir / "lorenz.model")]) == 1
    assert "internal error (KeyError: 'boom')" in _error_line(capsys)


def test_warnings_are_one_line_and_missing_files_name_the_file(monkeypatch, examples_dir,
                                                              capsys):
    import warnings

    from modelc.cli import show

    monkeypatch.setattr(show, "run", lambda args: warnings.warn("step budget hit", stacklevel=2) or 0)
    assert main(["show", str(examples_dir / "lorenz.model")]) == 0
    assert capsys.readouterr().err == "warning: step budget hit\n"
    assert main(["simulate", "/no/such.model"]) == 1
    assert _error_line(capsys) == "error: /no/such.model: No such file or directory"


@pytest.fixture
def decay_files(tmp_path):
    model = tmp_path / "decay.model"
    model.write_text(DECAY)
    return tmp_path, str(model)


def _fit(model, data, *options):
    return main(["fit", model, str(data), "--params", "k", *options])


@pytest.mark.parametrize("text, message", [
    ("t,u\n", "d.csv: no data rows (only the header)"),
    ("t,u\n-1,2\n1,0.7\n", "d.csv:2: t = -1 is before the model's start time 0"),
    ("t,u\n0.5,1\n1,inf\n", "d.csv:3: 'u' is infinite"),
    ("t,u\n0.5,1\n,0.7\n", "d.csv:3: the time is missing"),
    ("t,u\n0.5,1\nnan,0.7\n", "d.csv:3: the time is missing"),
    ("t,u\n0.5,1\n-inf,0.7\n", "d.csv:3: the time is -inf"),
    ("t,u\n1,1\n0.5,0.7\n", "d.csv:3: t = 0.5 comes after t = 1"),
])
def test_fit_refuses_data_it_would_drop_or_misread(decay_files, capsys, text, message):
    folder, model = decay_files
    (folder / "d.csv").write_text(text)
    assert _fit(model, folder / "d.csv") == 1
    assert message in _error_line(capsys)


def test_fit_refuses_npz_data_with_the_row(decay_files, capsys):
    folder, model = decay_files
    np.savez(folder / "d.npz", t=np.array([0.5, 1.0]), u=np.array([1.0, -np.inf]))
    assert _fit(model, folder / "d.npz") == 1
    assert "d.npz: row 1: 'u' is infinite" in _error_line(capsys)
    np.savez(folder / "e.npz", t=np.array([]), u=np.array([]))
    assert _fit(model, folder / "e.npz") == 1
    assert "e.npz: the array 't' is empty" in _error_line(capsys)


@pytest.mark.parametrize("options, message", [
    (["--bounds", "kk=0:10"], ("--bounds kk: the model has no parameter named 'kk'; did you "
                               "mean 'k'?")),
    (["--initial", "kk=0.5"], ("--initial kk: the model has no parameter named 'kk'; did you "
                               "mean 'k'?")),
    (["--bounds", "c=0:10"], "--bounds c: 'c' is not estimated (--params k)"),
    (["--initial", "c=1"], "--initial c: 'c' is not estimated"),
    (["--bounds", "k=10:0"], "--bounds k: the low end 10 is above the high end 0"),
    (["--bounds", "k=3"], "NAME=LOW:HIGH"),
    (["--atol", "-1"], "--atol must be a positive finite number"),
    (["--max-iter", "0"], "--max-iter must be a whole number of at least 1"),
    (["--starts", "0"], "--starts must be a whole number of at least 1"),
    (["--windows", "0"], "--windows must be a whole number of at least 1"),
    (["--starts", "2"], "finite bounds for k"),
])
def test_fit_refuses_names_and_values_it_would_ignore(decay_files, capsys, options, message):
    folder, model = decay_files
    (folder / "d.csv").write_text("t,u\n0.5,1.2\n1,0.7\n")
    assert _fit(model, folder / "d.csv", *options) == 1
    assert message in _error_line(capsys)


def test_fit_needs_a_parameter(decay_files, capsys):
    folder, model = decay_files
    assert main(["fit", model, str(folder / "d.csv"), "--params", " , "]) == 1
    assert "--params names no parameter" in _error_line(capsys)


# ---- the one assignments parser ------------------------------------------------------


def test_assignments_read_values_by_their_reader():
    assert parse_assignments(["k=0.5", " mu = 2 "], "--param", number) == {"k": 0.5, "mu": 2.0}
    assert parse_assignments(["x=0:1"], "--range", interval) == {"x": (0.0, 1.0)}
    assert open_interval(":5") == (None, 5.0) and open_interval("1e-3:") == (1e-3, None)
    assert function("math:sqrt")(4.0) == 2.0


@pytest.mark.parametrize("items, message", [
    (["k"], "--param expects NAME=VALUE, got 'k'"),
    (["=1"], "expects NAME=VALUE"),
    (["a.b=1"], "expects NAME=VALUE"),
    (["lambda=1"], "expects NAME=VALUE"),
    (["k=1", "k=1"], "--param k is given twice"),
    (["k=1+1"], "--param k: '1+1' is not a number"),
    (["k=inf"], "'inf' is not a finite number"),
])
def test_assignments_refuse_bad_items(items, message):
    with pytest.raises(UsageError, match=message.replace("+", r"\+")):
        parse_assignments(items, "--param", number)


def test_external_from_a_file_that_raises_is_a_clear_error(tmp_path):
    script = tmp_path / "broken.py"
    script.write_text("raise RuntimeError('no GPU here')\n")
    with pytest.raises(ValueError, match=r"running .*broken\.py' failed \(RuntimeError: no GPU"):
        function(f"{script}:f")
