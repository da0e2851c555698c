"""SBML MathML (libsbml ASTs) to the importer's expression trees (`modelc.io.sbml_tree`).

Nothing here evaluates or parses text: the tree is built node by node from
libsbml's AST API. Function definitions are inlined, a call repeated with the
same arguments translated once (its tree shared). The tree helpers are
re-exported here for the importer's convenience.
"""

from __future__ import annotations

import math

from .sbml_tree import (INFINITY, MAX_INLINED, NAN, ONE, ZERO, Refused, calls_of, children, expanded_size,
                        format_number, nary, num, substitute, symbols_of, to_text, uses_time)

__all__ = ["INFINITY", "NAN", "ONE", "ZERO", "Refused", "MathTranslator", "to_text", "format_number", "num",
           "symbols_of", "children", "calls_of", "expanded_size", "MAX_INLINED", "AVOGADRO",
           "substitute", "uses_time"]


# ---------------------------------------------------------------- MathML -> tree


def _as_num(item):
    tree, kind = item
    if kind == "num":
        return tree
    if tree[0] == "bool":
        return ONE if tree[1] else ZERO
    return ("if", tree, ONE, ZERO)


def _as_bool(item):
    tree, kind = item
    if kind == "bool":
        return tree
    return ("cmp", "!=", tree, ZERO)


class MathTranslator:
    """Translate libsbml ASTs to trees, inlining SBML function definitions.

    Args:
        functions: SBML function id -> its libsbml lambda AST.
    """

    def __init__(self, functions: dict):
        self.functions = functions
        self._depth = 0
        # (function, id of each argument tree) -> (its inlined tree, the arguments, kept
        # alive so that their ids stay theirs): a call with the same arguments is
        # translated once and its tree shared, not rebuilt (f(x) = g(x) + g(x) nested
        # n deep would otherwise take 2^n translations).
        self._calls: dict = {}
        #: id of each inlined call's tree -> (function name, the tree): candidates for
        #: a shared let (see `modelc.io.sbml_share`).
        self.call_results: dict[int, tuple[str, object]] = {}

    def translate(self, ast, env: dict | None = None, condition: bool = False):
        """The numeric tree of an AST; ``env`` maps names to trees (locals, bound variables).
        With ``condition``, the tree of a condition (an event trigger) instead.

        Function calls are inlined, but a call repeated with the same arguments is
        one shared subtree, so the tree's size stays linear in the input.

        Raises:
            Refused: for unsupported math.
        """
        if ast is None:
            raise Refused("it has no math")
        return (_as_bool if condition else _as_num)(self._node(ast, env or {}))

    def _node(self, ast, env):
        import libsbml as L

        kind = ast.getType()
        handler = _HANDLERS.get(kind)
        if handler is None:
            raise Refused(f"the MathML element <{_element_name(ast)}> is not supported")
        return handler(self, ast, env, L)

    def args(self, ast, env):
        return [self._node(ast.getChild(i), env) for i in range(ast.getNumChildren())]

    def nums(self, ast, env):
        return [_as_num(a) for a in self.args(ast, env)]

    def call_user(self, ast, env, L):
        name = ast.getName()
        lam = self.functions.get(name)
        if lam is None:
            raise Refused(f"it calls {name!r}, which is not a function definition of the model")
        n_bvars = lam.getNumBvars()
        args = self.args(ast, env)
        if len(args) != n_bvars:
            raise Refused(f"function {name!r} takes {n_bvars} arguments, it is given {len(args)}")
        key = (name, *(id(a[0]) for a in args))
        if key in self._calls:
            return self._calls[key][0]
        bound = {lam.getChild(i).getName(): args[i] for i in range(n_bvars)}
        self._depth += 1
        try:
            if self._depth > 50:
                raise Refused(f"function {name!r} calls itself (recursion is not allowed)")
            out = self._node(lam.getChild(lam.getNumChildren() - 1), bound)
        finally:
            self._depth -= 1
        self._calls[key] = (out, args)
        self.call_results[id(out[0])] = (name, out[0])   # out: (tree, kind)
        return out


def _element_name(ast) -> str:
    name = ast.getName()
    return name if name else f"type {ast.getType()}"


# Handlers: (translator, ast, env, libsbml) -> (tree, kind)


def _h_integer(tr, ast, env, L):
    return num(ast.getInteger()), "num"


def _h_real(tr, ast, env, L):
    value = ast.getReal()
    if math.isnan(value):
        return NAN, "num"
    if math.isinf(value):
        return (INFINITY if value > 0 else ("neg", INFINITY)), "num"
    return num(value), "num"


def _h_rational(tr, ast, env, L):
    return ("div", num(ast.getNumerator()), num(ast.getDenominator())), "num"


def _h_name(tr, ast, env, L):
    name = ast.getName()
    if name in env:
        return env[name]
    return ("sym", name), "num"


def _h_plus(tr, ast, env, L):
    items = tr.nums(ast, env)
    return (nary("add", items) if items else ZERO), "num"


def _h_times(tr, ast, env, L):
    items = tr.nums(ast, env)
    return (nary("mul", items) if items else ONE), "num"


def _h_minus(tr, ast, env, L):
    items = tr.nums(ast, env)
    if len(items) == 1:
        return ("neg", items[0]), "num"
    if len(items) == 2:
        return ("sub", items[0], items[1]), "num"
    raise Refused(f"<minus/> with {len(items)} arguments")


def _h_divide(tr, ast, env, L):
    a, b = _exactly(tr.nums(ast, env), 2, "divide")
    return ("div", a, b), "num"


def _h_power(tr, ast, env, L):
    a, b = _exactly(tr.nums(ast, env), 2, "power")
    return ("pow", a, b), "num"


def _h_root(tr, ast, env, L):
    items = tr.nums(ast, env)
    if len(items) == 1 or (len(items) == 2 and items[0] == ("num", "2")):
        return ("call", "sqrt", [items[-1]]), "num"
    degree, x = _exactly(items, 2, "root")
    return ("pow", x, ("div", ONE, degree)), "num"


def _h_log(tr, ast, env, L):
    items = tr.nums(ast, env)
    if len(items) == 1 or (len(items) == 2 and items[0] == ("num", "10")):
        return ("call", "log10", [items[-1]]), "num"
    base, x = _exactly(items, 2, "log")
    return ("div", ("call", "log", [x]), ("call", "log", [base])), "num"


def _exactly(items, n, what):
    if len(items) != n:
        raise Refused(f"<{what}/> with {len(items)} arguments (expected {n})")
    return items


def _func(name):
    def handler(tr, ast, env, L):
        return ("call", name, _exactly(tr.nums(ast, env), 1, name)), "num"
    return handler


def _h_delay(tr, ast, env, L):
    """The delay csymbol: the language's ``delay(expr, tau)`` (docs/delays.md)."""
    return ("call", "delay", _exactly(tr.nums(ast, env), 2, "delay")), "num"


def _reciprocal_of(name):
    def handler(tr, ast, env, L):
        (x,) = _exactly(tr.nums(ast, env), 1, name)
        return ("div", ONE, ("call", name, [x])), "num"
    return handler


def _of_reciprocal(name):
    def handler(tr, ast, env, L):
        (x,) = _exactly(tr.nums(ast, env), 1, name)
        return ("call", name, [("div", ONE, x)]), "num"
    return handler


def _h_minmax(name):
    def handler(tr, ast, env, L):
        items = tr.nums(ast, env)
        if not items:
            raise Refused(f"<{name}/> with no arguments")
        acc = items[0]
        for item in items[1:]:
            acc = ("call", name, [acc, item])
        return acc, "num"
    return handler


def _trunc(x):
    return ("if", ("cmp", ">=", x, ZERO), ("call", "floor", [x]), ("call", "ceil", [x]))


def _h_quotient(tr, ast, env, L):
    a, b = _exactly(tr.nums(ast, env), 2, "quotient")
    return _trunc(("div", a, b)), "num"


def _h_rem(tr, ast, env, L):
    a, b = _exactly(tr.nums(ast, env), 2, "rem")
    return ("sub", a, ("mul", [b, _trunc(("div", a, b))])), "num"


def _h_factorial(tr, ast, env, L):
    (x,) = _exactly(tr.nums(ast, env), 1, "factorial")
    if x[0] == "num" and x[1].isdigit() and int(x[1]) <= 170:
        return num(float(math.factorial(int(x[1])))), "num"
    raise Refused("<factorial/> of a non-constant argument (the language has no gamma function)")


def _h_piecewise(tr, ast, env, L):
    items = tr.args(ast, env)
    acc = _as_num(items[-1]) if len(items) % 2 else NAN
    pairs = items[: len(items) - len(items) % 2]
    for i in range(len(pairs) - 2, -1, -2):
        cond = _as_bool(pairs[i + 1])
        value = _as_num(pairs[i])
        if cond[0] == "bool":
            acc = value if cond[1] else acc
        else:
            acc = ("if", cond, value, acc)
    return acc, "num"


def _relational(op):
    def handler(tr, ast, env, L):
        items = tr.nums(ast, env)
        if len(items) < 2:
            raise Refused(f"a relational operator {op!r} with {len(items)} arguments")
        tests = [("cmp", op, a, b) for a, b in zip(items, items[1:])]
        return nary("and", tests), "bool"
    return handler


def _h_neq(tr, ast, env, L):
    a, b = _exactly(tr.nums(ast, env), 2, "neq")
    return ("cmp", "!=", a, b), "bool"


def _logical(tag):
    def handler(tr, ast, env, L):
        items = [_as_bool(a) for a in tr.args(ast, env)]
        if not items:
            return ("bool", tag == "and"), "bool"
        return nary(tag, items), "bool"
    return handler


def _h_not(tr, ast, env, L):
    (x,) = _exactly([_as_bool(a) for a in tr.args(ast, env)], 1, "not")
    return ("not", x), "bool"


def _h_xor(tr, ast, env, L):
    items = [_as_bool(a) for a in tr.args(ast, env)]
    if not items:
        return ("bool", False), "bool"
    acc = items[0]
    for item in items[1:]:
        acc = ("or", [("and", [acc, ("not", item)]), ("and", [("not", acc), item])])
    return acc, "bool"


def _h_implies(tr, ast, env, L):
    a, b = _exactly([_as_bool(a) for a in tr.args(ast, env)], 2, "implies")
    return ("or", [("not", a), b]), "bool"


#: The value of the avogadro csymbol fixed by SBML Level 3 (2006 CODATA).
AVOGADRO = 6.02214179e23


def _h_delay(tr, ast, env, L):
    x, tau = _exactly(tr.nums(ast, env), 2, "delay")
    return ("call", "delay", [x, tau]), "num"


def _h_rate_of(tr, ast, env, L):
    (x,) = _exactly(tr.nums(ast, env), 1, "rateOf")
    if x[0] != "sym":
        raise Refused("rateOf of an expression (SBML allows only an identifier)")
    return ("call", "der", [x]), "num"


def _const(tree, kind="num"):
    def handler(tr, ast, env, L):
        return tree, kind
    return handler


def _refuse(what):
    def handler(tr, ast, env, L):
        raise Refused(f"it uses {what}, which this importer does not support")
    return handler


def _build_handlers():
    import libsbml as L

    table = {
        L.AST_INTEGER: _h_integer, L.AST_REAL: _h_real, L.AST_REAL_E: _h_real,
        L.AST_RATIONAL: _h_rational, L.AST_NAME: _h_name,
        L.AST_NAME_TIME: _const(("time",)), L.AST_CONSTANT_PI: _const(("pi",)),
        L.AST_CONSTANT_E: _const(("call", "exp", [ONE])),
        L.AST_CONSTANT_TRUE: _const(("bool", True), "bool"),
        L.AST_CONSTANT_FALSE: _const(("bool", False), "bool"),
        L.AST_PLUS: _h_plus, L.AST_MINUS: _h_minus, L.AST_TIMES: _h_times,
        L.AST_DIVIDE: _h_divide, L.AST_POWER: _h_power, L.AST_FUNCTION_POWER: _h_power,
        L.AST_FUNCTION_ROOT: _h_root, L.AST_FUNCTION_LOG: _h_log,
        L.AST_FUNCTION_LN: _func("log"), L.AST_FUNCTION_EXP: _func("exp"),
        L.AST_FUNCTION_ABS: _func("abs"), L.AST_FUNCTION_FLOOR: _func("floor"),
        L.AST_FUNCTION_CEILING: _func("ceil"),
        L.AST_FUNCTION_SIN: _func("sin"), L.AST_FUNCTION_COS: _func("cos"),
        L.AST_FUNCTION_TAN: _func("tan"), L.AST_FUNCTION_SINH: _func("sinh"),
        L.AST_FUNCTION_COSH: _func("cosh"), L.AST_FUNCTION_TANH: _func("tanh"),
        L.AST_FUNCTION_ARCSIN: _func("asin"), L.AST_FUNCTION_ARCCOS: _func("acos"),
        L.AST_FUNCTION_ARCTAN: _func("atan"), L.AST_FUNCTION_ARCSINH: _func("asinh"),
        L.AST_FUNCTION_ARCCOSH: _func("acosh"), L.AST_FUNCTION_ARCTANH: _func("atanh"),
        L.AST_FUNCTION_SECH: _func("sech"), L.AST_FUNCTION_CSCH: _func("csch"),
        L.AST_FUNCTION_COTH: _func("coth"),
        L.AST_FUNCTION_SEC: _reciprocal_of("cos"), L.AST_FUNCTION_CSC: _reciprocal_of("sin"),
        L.AST_FUNCTION_COT: _reciprocal_of("tan"),
        L.AST_FUNCTION_ARCSEC: _of_reciprocal("acos"), L.AST_FUNCTION_ARCCSC: _of_reciprocal("asin"),
        L.AST_FUNCTION_ARCCOT: _of_reciprocal("atan"),
        L.AST_FUNCTION_ARCSECH: _of_reciprocal("acosh"),
        L.AST_FUNCTION_ARCCSCH: _of_reciprocal("asinh"),
        L.AST_FUNCTION_ARCCOTH: _of_reciprocal("atanh"),
        L.AST_FUNCTION_MAX: _h_minmax("max"), L.AST_FUNCTION_MIN: _h_minmax("min"),
        L.AST_FUNCTION_QUOTIENT: _h_quotient, L.AST_FUNCTION_REM: _h_rem,
        L.AST_FUNCTION_FACTORIAL: _h_factorial, L.AST_FUNCTION_PIECEWISE: _h_piecewise,
        L.AST_RELATIONAL_EQ: _relational("=="), L.AST_RELATIONAL_NEQ: _h_neq,
        L.AST_RELATIONAL_LT: _relational("<"), L.AST_RELATIONAL_LEQ: _relational("<="),
        L.AST_RELATIONAL_GT: _relational(">"), L.AST_RELATIONAL_GEQ: _relational(">="),
        L.AST_LOGICAL_AND: _logical("and"), L.AST_LOGICAL_OR: _logical("or"),
        L.AST_LOGICAL_NOT: _h_not, L.AST_LOGICAL_XOR: _h_xor,
        L.AST_LOGICAL_IMPLIES: _h_implies,
        L.AST_FUNCTION: lambda tr, ast, env, L: tr.call_user(ast, env, L),
        L.AST_FUNCTION_DELAY: _h_delay,
        L.AST_NAME_AVOGADRO: _const(num(AVOGADRO)),
        L.AST_FUNCTION_RATE_OF: _h_rate_of,
        L.AST_CSYMBOL_FUNCTION: _refuse("an unknown csymbol function"),
    }
    return table


class _LazyHandlers(dict):
    """The handler table, built on first use (so importing needs no libsbml)."""

    def get(self, key, default=None):
        if not self:
            self.update(_build_handlers())
        return super().get(key, default)


_HANDLERS = _LazyHandlers()
