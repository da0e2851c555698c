"""A linear map with a user-given transpose, as a JAX primitive (``linear_map``).

The integration loop is a ``lax.while_loop``: forward mode differentiates it,
reverse mode does not.  :mod:`.adjoint` therefore states the loop's tangent map
``(dy0, dargs) -> dys`` as one *linear* primitive whose evaluation is forward
mode through the loop and whose transpose is an adjoint solve.  Then
``jax.jvp``/``jacfwd`` evaluate it, ``jax.grad``/``vjp`` transpose it, and
``vmap`` batches both (the two functions are vmapped), in any nesting.

JAX's own ``custom_derivatives.linear_call`` has no batching rule, hence this.
"""

from __future__ import annotations

import itertools
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

__all__ = ["linear_map"]

linear_map_p = Primitive("modelc_linear_map")
linear_map_p.multiple_results = True


def linear_map(fun: Callable, transpose: Callable, residuals: Sequence, linear: Sequence):
    """``fun(*residuals, *linear)``, linear in ``linear``, with a custom transpose.

    ``fun(*residuals, *linear) -> list of arrays`` and ``transpose(*residuals,
    *cotangents) -> list of arrays shaped like linear`` must be transposes of
    each other for fixed residuals.  Either may carry a ``for_vmap`` attribute:
    ``for_vmap(axis_name)`` returns an equivalent function that batching
    should ``vmap`` instead, over an axis of that name (so it may use
    collectives such as ``lax.psum`` over the batch).  Returns
    ``fun``'s outputs (a list).
    """
    residuals = [jnp.asarray(r) for r in residuals]
    linear = [jnp.asarray(x) for x in linear]
    out_avals = jax.eval_shape(lambda *a: list(fun(*a)), *residuals, *linear)
    out_avals = tuple(jax.core.ShapedArray(o.shape, o.dtype) for o in out_avals)
    lin_avals = tuple(jax.core.ShapedArray(x.shape, x.dtype) for x in linear)
    return linear_map_p.bind(*residuals, *linear, fun=fun, transpose=transpose,
                             n_res=len(residuals), out_avals=out_avals, lin_avals=lin_avals)


def _impl(*args, fun, transpose, n_res, out_avals, lin_avals):
    del transpose, n_res, out_avals, lin_avals
    return list(fun(*args))


def _abstract_eval(*args, fun, transpose, n_res, out_avals, lin_avals):
    del args, fun, transpose, n_res, lin_avals
    return list(out_avals)


def _transpose_rule(cts, *args, fun, transpose, n_res, out_avals, lin_avals):
    res = args[:n_res]
    assert not any(ad.is_undefined_primal(r) for r in res), "residuals must be known"
    cts = [jnp.zeros(a.shape, a.dtype) if type(c) is ad.Zero else c
           for c, a in zip(cts, out_avals)]
    out = linear_map_p.bind(*res, *cts, fun=transpose, transpose=fun, n_res=n_res,
                            out_avals=lin_avals, lin_avals=out_avals)
    return [None] * n_res + list(out)


def _jvp_rule(primals, tangents, *, fun, transpose, n_res, out_avals, lin_avals):
    params = dict(fun=fun, transpose=transpose, n_res=n_res, out_avals=out_avals,
                  lin_avals=lin_avals)
    # d fun(res, lin) = fun(res, dlin) + (d fun / d res)(dres): the second term (second
    # derivatives, e.g. forward over forward) by forward mode through fun itself.
    lin_t = [ad.instantiate_zeros(t) for t in tangents[n_res:]]
    out = linear_map_p.bind(*primals, **params)
    tangent = linear_map_p.bind(*primals[:n_res], *lin_t, **params)
    moving = [i for i, t in enumerate(tangents[:n_res]) if type(t) is not ad.Zero]
    if moving:
        def of_moving(*values):
            res = list(primals[:n_res])
            for i, value in zip(moving, values):
                res[i] = value
            return list(fun(*res, *primals[n_res:]))

        _, extra = jax.jvp(of_moving, tuple(primals[i] for i in moving),
                           tuple(tangents[i] for i in moving))
        tangent = [a + b for a, b in zip(tangent, extra)]
    return out, tangent


def _batch_rule(args, dims, *, fun, transpose, n_res, out_avals, lin_avals):
    size = next(a.shape[d] for a, d in zip(args, dims) if d is not None)
    res, res_dims = list(args[:n_res]), [None if d is None else d
                                         for d in dims[:n_res]]
    lin = [jnp.broadcast_to(x, (size,) + x.shape) if d is None
           else jnp.moveaxis(x, d, 0) for x, d in zip(args[n_res:], dims[n_res:])]
    in_axes = tuple(res_dims) + (0,) * len(lin)
    axis = f"modelc_linear_map_{next(_axis_ids)}"
    bfun = jax.vmap(_for_vmap(fun, axis), in_axes=in_axes, out_axes=0, axis_name=axis)
    btrans = jax.vmap(_for_vmap(transpose, axis), out_axes=0, axis_name=axis,
                      in_axes=in_axes[:n_res] + (0,) * len(out_avals))
    batched = lambda avals: tuple(jax.core.ShapedArray((size,) + a.shape, a.dtype)  # noqa: E731
                                  for a in avals)
    out = linear_map_p.bind(*res, *lin, fun=_Listed(bfun), transpose=_Listed(btrans),
                            n_res=n_res, out_avals=batched(out_avals),
                            lin_avals=batched(lin_avals))
    return out, [0] * len(out)


_axis_ids = itertools.count()


def _for_vmap(f, axis):
    """``f``'s variant for ``vmap`` over the axis named ``axis`` (same numbers), else ``f``."""
    make = getattr(f, "for_vmap", None)
    return f if make is None else make(axis)


class _Listed:
    """Wrap a vmapped function so it returns a list (hashable by identity)."""

    def __init__(self, f):
        self.f = f

    def __call__(self, *args):
        return list(self.f(*args))


linear_map_p.def_impl(_impl)
linear_map_p.def_abstract_eval(_abstract_eval)
ad.primitive_transposes[linear_map_p] = _transpose_rule
ad.primitive_jvps[linear_map_p] = _jvp_rule
batching.primitive_batchers[linear_map_p] = _batch_rule
mlir.register_lowering(linear_map_p, mlir.lower_fun(_impl, multiple_results=True))
