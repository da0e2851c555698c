"""`modelc check` accepts event models (the solvers run them) and a delay model with a note."""

from modelc.cli import main

BALL = "state h = 1, v = 0\nder(h) = v\nder(v) = -9.81\nevent bounce when h < 0: v = -0.9*v\n"


def test_check_accepts_an_event_model(tmp_path, capsys):
    path = tmp_path / "ball.model"
    path.write_text(BALL)
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "ok (2 states" in out and err == ""


def test_check_accepts_a_model_the_solvers_cannot_run_yet_with_a_note(tmp_path, capsys):
    path = tmp_path / "lag.model"
    path.write_text("parameter tau = 1\nstate x = 1\nder(x) = -delay(delay(x, tau), tau)\n")
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "ok (the model is valid; 1 construct(s) cannot be solved yet" in out
    assert "delay" in err


def test_check_still_fails_on_an_error(tmp_path, capsys):
    path = tmp_path / "bad.model"
    path.write_text(BALL.replace("v = -0.9*v", "w = 0"))
    assert main(["check", str(path)]) == 1
