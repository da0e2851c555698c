"""`modelc sample-search` (modelc/cli/sample_search.py), called through its parser and `run`."""

import argparse
from pathlib import Path

import numpy as np
import pytest

from modelc.cli import sample_search as cli_sample_search
from modelc.errors import SolveError
from modelc.searched_schedule import load_schedule

ROOT = Path(__file__).resolve().parents[1]
GMM = ROOT / "examples" / "diffusion_gmm.model"
EPS = f"{ROOT / 'examples' / 'diffusion_gmm.py'}:gmm_eps"


def _args(*argv):
    parser = argparse.ArgumentParser(prog="modelc")
    cli_sample_search.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sample-search", *argv])


def test_parser_reads_the_options():
    args = _args(str(GMM), "--budget", "5", "10", "--eps", EPS, "--out", "s.npz", "--no-plot")
    assert args.budget == [5, 10] and args.samples == 64 and args.run is cli_sample_search.run
    assert cli_sample_search._out_path(Path("s.npz"), 5, True) == Path("s_5.npz")


def test_a_model_without_array_state_is_refused(tmp_path):
    args = _args(str(ROOT / "examples" / "lorenz.model"), "--budget", "4", "--eps", EPS,
                 "--out", str(tmp_path / "s.npz"))
    with pytest.raises(SolveError):
        cli_sample_search.run(args)


@pytest.mark.slow
def test_run_searches_saves_compares_and_plots(tmp_path, capsys):
    """A tiny search (budget 4, 8 samples, one short round): the schedule file, the table
    with every compared sampler, and the plot."""
    out = tmp_path / "s.json"
    args = _args(str(GMM), "--budget", "4", "--eps", EPS, "--out", str(out), "--samples", "8",
                 "--eval-samples", "16", "--rounds", "1", "--iterations", "10", "--no-progress")
    assert cli_sample_search.run(args) == 0
    sched = load_schedule(out)
    assert sched.budget == 4 and np.isfinite(sched.info["fit_error"])
    text = capsys.readouterr().out
    for method in (*cli_sample_search.COMPARED, "searched"):
        assert method in text
    assert out.with_suffix(".png").stat().st_size > 0
