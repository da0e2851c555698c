"""Messages a new user meets (issue 19, item 9): one error per mistake, and hints that help."""

from frontend_helpers import only_error


def test_a_reserved_state_name_is_one_error():
    diag = only_error("state I = 1\nder(I) = -2\n")
    assert "`I` is reserved for the imaginary unit" in diag.message
    assert "did you mean" not in diag.hint
    used = only_error("state I = 1\nder(I) = -I\n")   # I as a value: the one error says it too
    assert "`I` is reserved" in used.hint and "I_s" in used.hint


def test_an_unknown_function_lists_the_functions():
    diag = only_error("state x = 1\nder(x) = -foo(x)\n")
    assert diag.message == "unknown function `foo`"
    assert "sin, cos" in diag.hint and "exprel" in diag.hint and "if(cond, a, b)" in diag.hint
