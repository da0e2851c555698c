"""Grid operators that generated field code calls (runtime side: jax and numpy only).

Spectral derivatives use ``jnp.fft`` (``rfft`` for real arrays, ``fft`` for
complex ones) along one axis; finite differences are slices of arrays padded
with ghost points; nothing builds a matrix. Every function is pure, ``jit``-,
``vmap``- and differentiation-friendly, and works in float32 and float64.
Grid sizes, axes and orders are static Python values.
"""

from __future__ import annotations

from functools import cache

import jax.numpy as jnp
import numpy as np

from .gridshape import fourier_shape

__all__ = [
    "coordinate",
    "spacing",
    "weights",
    "spectral_diff",
    "spectral_laplacian",
    "dealias",
    "spectral_linear",
    "fourier_diagonal",
    "fourier_forward",
    "fourier_inverse",
    "fourier_symbol",
    "fourier_shape",
    "from_fourier",
    "to_fourier",
    "dealias_mask",
    "prolong",
    "restrict",
    "prolong_state",
    "restrict_state",
    "set_boundary",
    "zero_boundary",
    "boundary_slice",
    "pad",
    "pad_coordinate",
    "stencil_diff",
    "face",
    "face_diff",
    "flux_div",
    "integrate",
    "upwind",
]


def _shape(axis: int, ndim: int, n: int) -> tuple[int, ...]:
    return tuple(n if i == axis else 1 for i in range(ndim))


def coordinate(lower, upper, n: int, periodic: bool, axis: int, ndim: int):
    """Grid nodes along ``axis``, shaped to broadcast over an ``ndim``-D grid.

    Periodic axes have ``n`` nodes ``lower + i L/n`` (the end is the start);
    bounded axes have ``n`` nodes from ``lower`` to ``upper`` inclusive.
    """
    steps = n if periodic else n - 1
    nodes = lower + (upper - lower) * jnp.arange(n) / steps
    return jnp.reshape(nodes, _shape(axis, ndim, n))


def spacing(lower, upper, n: int, periodic: bool):
    """The node spacing ``h``."""
    return (upper - lower) / (n if periodic else n - 1)


def weights(lower, upper, n: int, periodic: bool, axis: int, ndim: int):
    """Quadrature weights along one axis: rectangle rule (periodic) or trapezoidal rule."""
    h = spacing(lower, upper, n, periodic)
    w = jnp.ones(n)
    if not periodic:
        i = jnp.arange(n)  # an iota, not an n-long constant: the program does not grow with n
        w = jnp.where((i == 0) | (i == n - 1), 0.5, w)
    return jnp.reshape(h * w, _shape(axis, ndim, n))


def integrate(values, w):
    """The integral of ``values`` over the grid with weights ``w`` (a scalar)."""
    return jnp.sum(values * w)


def _bins(n: int, real: bool):
    """The FFT bin numbers ``m`` (``numpy.fft.rfftfreq(n, 1/n)``, or ``fftfreq``), as integers.

    Built from an iota inside the traced program rather than stored as an n-long
    constant, so the compiled program (and its compile time) does not grow with the
    grid: every spectral operator of every stage would otherwise embed its own copy.
    """
    if real:
        return jnp.arange(n // 2 + 1)
    i = jnp.arange(n)
    return jnp.where(i < (n + 1) // 2, i, i - n)


def _wavenumbers(n: int, length, real: bool, order: int, dtype):
    """``2 pi m / L`` for the FFT bins in the real ``dtype``; the Nyquist bin is zeroed for odd orders."""
    m = _bins(n, real)
    if order % 2 == 1 and n % 2 == 0:
        m = jnp.where(jnp.abs(m) == n // 2, 0, m)
    return (2 * np.pi * m.astype(dtype)) / jnp.asarray(length, dtype=dtype)


def spectral_diff(values, axis: int, order: int, length):
    """The ``order``-th derivative of periodic ``values`` along ``axis`` (pseudo-spectral)."""
    values = jnp.asarray(values)
    n = values.shape[axis]
    real = not jnp.iscomplexobj(values)
    k = _wavenumbers(n, length, real, order, jnp.finfo(values.dtype).dtype)
    symbol = jnp.reshape((1j * k) ** order, _shape(axis, values.ndim, k.shape[0]))
    if real:
        return jnp.fft.irfft(jnp.fft.rfft(values, axis=axis) * symbol, n=n, axis=axis).astype(values.dtype)
    return jnp.fft.ifft(jnp.fft.fft(values, axis=axis) * symbol, axis=axis)


def spectral_laplacian(values, lengths: tuple):
    """The Laplacian of ``values`` periodic along every axis, with one n-D transform."""
    values = jnp.asarray(values)
    real = not jnp.iscomplexobj(values)
    axes = tuple(range(values.ndim))
    symbol = 0.0
    for axis, length in enumerate(lengths):
        last = real and axis == values.ndim - 1
        k = _wavenumbers(values.shape[axis], length, last, 2, jnp.finfo(values.dtype).dtype)
        symbol = symbol - jnp.reshape(k**2, _shape(axis, values.ndim, k.shape[0]))
    if real:
        spectrum = jnp.fft.rfftn(values, axes=axes)
        return jnp.fft.irfftn(spectrum * symbol, s=values.shape, axes=axes).astype(values.dtype)
    return jnp.fft.ifftn(jnp.fft.fftn(values, axes=axes) * symbol, axes=axes)


def _symbol(shape, lengths, real: bool, coefficients, orders, dtype):
    """``sum_j c_j prod_a (i k_a)^(n_ja)`` on the n-D FFT grid (rfft along the last axis if real);
    odd derivatives vanish on the Nyquist mode, as in `spectral_diff`."""
    ndim = len(shape)
    total = 0.0
    for c, powers in zip(coefficients, orders):
        term = c
        for axis, (length, power) in enumerate(zip(lengths, powers)):
            if power:
                k = _wavenumbers(shape[axis], length, real and axis == ndim - 1, power, dtype)
                term = term * jnp.reshape((1j * k) ** power, _shape(axis, ndim, k.shape[0]))
        total = total + term
    return total


def _keep(shape, real: bool, spectral_axes):
    """The 2/3-rule mask on the n-D FFT grid (True: mode kept)."""
    ndim = len(shape)
    keep = True
    for axis in spectral_axes:
        n = shape[axis]
        m = _bins(n, real and axis == ndim - 1)
        keep = keep & jnp.reshape(3 * jnp.abs(m) < n, _shape(axis, ndim, m.shape[0]))
    return jnp.asarray(keep)


def spectral_linear(values, coefficients: tuple, orders: tuple, lengths: tuple, rest=0.0,
                    filtered: bool = False):
    """``L values + rest`` on an all-periodic grid, with one n-D transform pair.

    ``L`` is ``sum_j coefficients[j] * d^orders[j]`` (``orders[j]`` gives the
    derivative order along each axis). With ``filtered`` the whole sum is
    projected onto the lowest two thirds of the modes (2/3 rule) in the same
    transform, as a hand-written pseudo-spectral code does.
    """
    values = jnp.asarray(values)
    real = not jnp.iscomplexobj(values)
    axes = tuple(range(values.ndim))
    dtype = jnp.finfo(values.dtype).dtype
    symbol = _symbol(values.shape, lengths, real, coefficients, orders, dtype)
    forward = jnp.fft.rfftn if real else jnp.fft.fftn
    spectrum = symbol * forward(values, axes=axes)
    rest = jnp.broadcast_to(rest, values.shape)
    if filtered:
        spectrum = _keep(values.shape, real, axes) * (spectrum + forward(rest, axes=axes))
    if real:
        out = jnp.fft.irfftn(spectrum, s=values.shape, axes=axes).astype(values.dtype)
    else:
        out = jnp.fft.ifftn(spectrum, axes=axes)
    return out if filtered else out + rest


def fourier_diagonal(shape: tuple, lengths: tuple, is_complex: bool, coefficients: tuple,
                     orders: tuple, filtered: bool, dtype):
    """The Fourier diagonal of ``L`` (as `spectral_linear` applies it) for one field, flattened.

    On the ``rfftn`` grid of a real field (``fftn`` of a complex one); with
    ``filtered`` the 2/3-rule modes are zeroed, as the filtered rhs drops
    ``L u`` there too.  ``dtype`` is the real dtype; the result is complex.
    """
    real_dtype = jnp.finfo(dtype).dtype
    cdtype = jnp.complex128 if real_dtype == jnp.float64 else jnp.complex64
    real = not is_complex
    spectral = fourier_shape(shape, real)
    symbol = _symbol(shape, lengths, real, coefficients, orders, real_dtype)
    if _real_symbol(coefficients, orders):  # real phi-functions: 4x cheaper than complex ones
        cdtype = real_dtype
        symbol = jnp.real(symbol)
    symbol = jnp.broadcast_to(jnp.asarray(symbol, dtype=cdtype), spectral)
    if filtered:
        symbol = symbol * _keep(shape, real, tuple(range(len(shape))))
    return jnp.ravel(symbol)


def _real_symbol(coefficients, orders) -> bool:
    """Every term has an even total derivative order and a real coefficient."""
    return all(sum(powers) % 2 == 0 and not jnp.iscomplexobj(c)
               for c, powers in zip(coefficients, orders))


def fourier_forward(state, layout: dict):
    """The packed real field state (``STATE_LAYOUT``) -> concatenated Fourier coefficients
    (``rfftn`` of real fields, ``fftn`` of complex ones); fields only, no scalar states."""
    parts = []
    for offset, shape, is_complex in layout.values():
        size = int(np.prod(shape))
        values = jnp.reshape(state[offset:offset + size], shape)
        if is_complex:
            values = values + 1j * jnp.reshape(state[offset + size:offset + 2 * size], shape)
        parts.append(jnp.ravel(to_fourier(values, shape, not is_complex)))
    return jnp.concatenate(parts)


def fourier_inverse(coefficients, layout: dict):
    """Inverse of `fourier_forward`: concatenated Fourier coefficients -> the packed real state."""
    parts, start = [], 0
    for _, shape, is_complex in layout.values():
        spectral = fourier_shape(shape, not is_complex)
        size = int(np.prod(spectral))
        block = jnp.reshape(coefficients[start:start + size], spectral)
        values = from_fourier(block, shape, not is_complex)
        parts += [jnp.ravel(values.real), jnp.ravel(values.imag)] if is_complex else [jnp.ravel(values)]
        start += size
    return jnp.concatenate(parts)


def fourier_symbol(shape: tuple, lengths: tuple, real: bool, coefficients: tuple, orders: tuple, dtype):
    """``sum_j c_j prod_a (i k_a)^(n_ja)`` on the n-D Fourier grid of a field on ``shape``
    (``rfftn`` grid if ``real``), as `spectral_linear` applies it; ``dtype`` the real dtype."""
    return _symbol(shape, lengths, real, coefficients, orders, jnp.finfo(dtype).dtype)


def from_fourier(coefficients, shape: tuple, real: bool):
    """The grid values of a field from its n-D Fourier coefficients (``irfftn`` if ``real``)."""
    axes = tuple(range(len(shape)))
    if real:
        return jnp.fft.irfftn(coefficients, s=shape, axes=axes)
    return jnp.fft.ifftn(coefficients, axes=axes)


def to_fourier(values, shape: tuple, real: bool):
    """The n-D Fourier coefficients of grid ``values`` (broadcast to ``shape``; ``rfftn`` if ``real``)."""
    axes = tuple(range(len(shape)))
    values = jnp.broadcast_to(values, shape)
    if real:
        return jnp.fft.rfftn(jnp.real(values), axes=axes)
    return jnp.fft.fftn(values, axes=axes)


def dealias_mask(shape: tuple, real: bool):
    """The 2/3-rule mask on the n-D Fourier grid of a field on ``shape`` (1: mode kept), as
    `dealias` applies it along every axis."""
    return _keep(shape, real, tuple(range(len(shape))))


def dealias(values, axes: tuple[int, ...]):
    """Project ``values`` onto the lowest two thirds of the Fourier modes along ``axes`` (2/3 rule)."""
    for axis in axes:
        n = values.shape[axis]
        real = not jnp.iscomplexobj(values)
        m = _bins(n, real)
        keep = jnp.reshape(3 * jnp.abs(m) < n, _shape(axis, values.ndim, m.shape[0]))
        if real:
            values = jnp.fft.irfft(jnp.fft.rfft(values, axis=axis) * keep, n=n, axis=axis).astype(values.dtype)
        else:
            values = jnp.fft.ifft(jnp.fft.fft(values, axis=axis) * keep, axis=axis)
    return values


def _resample_axis(values, axis: int, m: int):
    """Band-limited resampling of periodic ``values`` from ``n`` to ``m`` points along
    ``axis``: the ``n`` (or ``m``) lowest Fourier modes kept, the rest zero (``m > n``)
    or cut (``m < n``).  An even grid's Nyquist mode is split evenly between
    ``+-n/2`` when padding and the two summed back when cutting, so that cutting
    undoes padding and real values stay real."""
    n = values.shape[axis]
    if m == n:
        return values
    spectrum = jnp.moveaxis(jnp.fft.fft(values, axis=axis), axis, -1)
    small, large = min(n, m), max(n, m)
    half = small // 2
    lead = spectrum.shape[:-1]
    if m > n:  # pad
        pos, neg = spectrum[..., :(n + 1) // 2], spectrum[..., (n + 1) // 2:]
        zeros = jnp.zeros(lead + (m - n,), spectrum.dtype)
        if n % 2 == 0:  # neg starts at the Nyquist bin -n/2
            nyquist = neg[..., :1] / 2
            out = jnp.concatenate([pos, nyquist, zeros[..., 1:], nyquist, neg[..., 1:]], axis=-1)
        else:
            out = jnp.concatenate([pos, zeros, neg], axis=-1)
    else:  # cut
        pos = spectrum[..., :(small + 1) // 2]
        neg = spectrum[..., large - small // 2:]
        if small % 2 == 0:
            nyquist = spectrum[..., half:half + 1] + neg[..., :1]
            neg = jnp.concatenate([nyquist, neg[..., 1:]], axis=-1)
        out = jnp.concatenate([pos, neg], axis=-1)
    out = jnp.fft.ifft(jnp.moveaxis(out, -1, axis) * (m / n), axis=axis)
    return out if jnp.iscomplexobj(values) else jnp.real(out).astype(values.dtype)


def prolong(values, shape: tuple):
    """Periodic grid ``values`` interpolated spectrally onto the finer grid ``shape`` (zero-padded spectrum)."""
    for axis, m in enumerate(shape):
        values = _resample_axis(values, axis, m)
    return values


def restrict(values, shape: tuple):
    """Periodic grid ``values`` cut back to the coarser grid ``shape``: the Fourier modes
    that grid resolves, the others dropped (so a product evaluated on a grid padded by
    the 3/2 or 2x rule arrives without aliasing)."""
    for axis, m in enumerate(shape):
        values = _resample_axis(values, axis, m)
    return values


def _map_fields(state, layout: dict, target: dict, resample):
    """A packed state (``STATE_LAYOUT``) -> the packed state of ``target``'s layout, every
    field resampled by ``resample(values, shape)``, scalar states copied."""
    parts = []
    for name, (offset, shape, is_complex) in layout.items():
        if not shape:
            parts.append(state[offset:offset + 1])
            continue
        size = int(np.prod(shape))
        values = jnp.reshape(state[offset:offset + size], shape)
        if is_complex:
            values = values + 1j * jnp.reshape(state[offset + size:offset + 2 * size], shape)
        values = resample(values, target[name][1])
        parts += [jnp.ravel(values.real), jnp.ravel(values.imag)] if is_complex else [jnp.ravel(values)]
    return jnp.concatenate([p.astype(state.dtype) for p in parts])


def prolong_state(state, layout: dict, fine: dict):
    """The packed state on layout ``layout`` -> the packed state on the padded layout ``fine``."""
    return _map_fields(state, layout, fine, prolong)


def restrict_state(state, fine: dict, layout: dict):
    """Inverse direction of `prolong_state`: a packed state (or rhs) on ``fine`` -> on ``layout``."""
    return _map_fields(state, fine, layout, restrict)


def boundary_slice(ndim: int, axis: int, index) -> tuple:
    """The index tuple of the hyperplane ``index`` along ``axis``."""
    return tuple(index if i == axis else slice(None) for i in range(ndim))


def set_boundary(values, axis: int, index: int, value):
    """``values`` with the boundary plane ``index`` along ``axis`` set to ``value`` (Dirichlet)."""
    values = jnp.asarray(values)
    where = boundary_slice(values.ndim, axis, index)
    plane = jnp.broadcast_to(value, values.shape)[where]
    return values.at[where].set(plane.astype(values.dtype))


def zero_boundary(values, axis: int, index: int):
    """``values`` with the boundary plane ``index`` along ``axis`` set to zero."""
    values = jnp.asarray(values)
    return values.at[boundary_slice(values.ndim, axis, index)].set(0)


@cache
def _ghost_weights(kind: str, order: int, ghosts: int) -> np.ndarray:
    """Rows ``j = 1..ghosts``: the ghost value at ``-j h`` as weights of ``(u_0, ..., u_m, h q)``.

    The ghost values come from the polynomial through the first nodes
    (Dirichlet: degree ``order + 1`` through ``u_0 .. u_{order+1}``, so that a
    ghost's error, O(h^(order+2)), keeps the stencil's order), or of degree
    ``order`` through ``u_0 .. u_{order-1}`` with slope ``q`` at the boundary
    (Neumann; for order 2 this is the classical ``u_{-1} = u_1 - 2 h q``).
    """
    degree = order + 1 if kind == "dirichlet" else order
    if kind == "dirichlet":
        rows = [[float(i) ** p for p in range(degree + 1)] for i in range(degree + 1)]
        data = np.eye(degree + 1, degree + 2)
    else:
        rows = [[float(i) ** p for p in range(degree + 1)] for i in range(degree)]
        rows.append([1.0 if p == 1 else 0.0 for p in range(degree + 1)])
        data = np.zeros((degree + 1, degree + 2))
        data[:degree, :degree] = np.eye(degree)
        data[degree, degree + 1] = 1.0
    coefficients = np.linalg.solve(np.array(rows), data)  # polynomial coefficients per datum
    at = np.array([[(-float(j)) ** p for p in range(degree + 1)] for j in range(1, ghosts + 1)])
    return at @ coefficients


def _ghosts(values, axis: int, ghosts: int, kind: str, order: int, slope):
    """Ghost planes below index 0 along ``axis`` (nearest first), from the boundary condition."""
    w = _ghost_weights(kind, order, ghosts)
    nodes = jnp.moveaxis(values, axis, 0)[: w.shape[1] - 1]
    planes = jnp.tensordot(jnp.asarray(w[:, :-1], values.dtype), nodes, axes=1)
    if kind == "neumann":
        planes = planes + jnp.asarray(w[:, -1], values.dtype).reshape((-1,) + (1,) * (values.ndim - 1)) * slope
    return jnp.moveaxis(planes[::-1], 0, axis)  # farthest first


def pad(values, axis: int, ghosts: int, order: int, lower=None, upper=None, h=None):
    """``values`` extended by ``ghosts`` points at both ends of ``axis``.

    ``lower`` and ``upper`` are ``None`` for a periodic axis (the ghosts wrap
    around), else ``("dirichlet", None)`` or ``("neumann", slope)`` where
    ``slope`` is d(values)/dx at that end (a scalar or an array broadcasting to
    the boundary plane); ``h`` is the spacing.
    """
    if lower is None:
        return jnp.concatenate([_take(values, axis, -ghosts, None), values, _take(values, axis, 0, ghosts)],
                               axis=axis)
    below = _ghosts(values, axis, ghosts, lower[0], order, _plane(lower[1], values, axis, 0) * h)
    flipped = jnp.flip(values, axis)
    above = _ghosts(flipped, axis, ghosts, upper[0], order, -_plane(upper[1], values, axis, -1) * h)
    return jnp.concatenate([below, values, jnp.flip(above, axis)], axis=axis)


def _plane(value, values, axis: int, index: int):
    if value is None:
        return 0.0
    return jnp.broadcast_to(value, values.shape)[boundary_slice(values.ndim, axis, index)]


def pad_coordinate(nodes, axis: int, ghosts: int, h):
    """Coordinate ``nodes`` extended linearly by ``ghosts`` points at both ends."""
    n = nodes.shape[axis]
    steps = jnp.arange(-ghosts, n + ghosts).reshape(_shape(axis, nodes.ndim, n + 2 * ghosts))
    start = _take(nodes, axis, 0, 1)
    return start + steps * h


def _take(values, axis: int, start, stop):
    return values[boundary_slice(values.ndim, axis, slice(start, stop))]


_CENTRED = {
    (1, 2): (np.array([-0.5, 0.0, 0.5])),
    (2, 2): (np.array([1.0, -2.0, 1.0])),
    (1, 4): (np.array([1.0, -8.0, 0.0, 8.0, -1.0]) / 12),
    (2, 4): (np.array([-1.0, 16.0, -30.0, 16.0, -1.0]) / 12),
}


def stencil_diff(padded, axis: int, order: int, accuracy: int, h):
    """The centred ``order``-th difference of ``padded`` (with ``accuracy // 2`` ghosts per end)."""
    coefficients = _CENTRED[(order, accuracy)]
    width = len(coefficients)
    n = padded.shape[axis] - width + 1
    total = 0.0
    for i, c in enumerate(coefficients):
        if c != 0.0:
            total = total + c * _take(padded, axis, i, i + n)
    return total / h**order


def face(padded, axis: int):
    """Values at the faces ``i + 1/2`` (mean of neighbours) of an array padded by one ghost."""
    n = padded.shape[axis] - 1
    return 0.5 * (_take(padded, axis, 0, n) + _take(padded, axis, 1, n + 1))


def face_diff(padded, axis: int, h):
    """The compact difference ``(u[i+1] - u[i]) / h`` at the faces of an array padded by one ghost."""
    n = padded.shape[axis] - 1
    return (_take(padded, axis, 1, n + 1) - _take(padded, axis, 0, n)) / h


def flux_div(faces, axis: int, h):
    """``(F[i+1/2] - F[i-1/2]) / h`` at the nodes from the face values ``F``."""
    n = faces.shape[axis] - 1
    return (_take(faces, axis, 1, n + 1) - _take(faces, axis, 0, n)) / h



def upwind(coefficient, padded, axis: int, ghosts: int, h):
    """``coefficient * du/dx`` by first-order upwind differences; ``padded`` has ``ghosts`` per end.

    The flow ``-coefficient`` carries ``u``: where the coefficient is negative
    (flow towards larger x) the backward difference is used, else the forward one.
    """
    n = padded.shape[axis] - 2 * ghosts
    centre = _take(padded, axis, ghosts, ghosts + n)
    backward = (centre - _take(padded, axis, ghosts - 1, ghosts - 1 + n)) / h
    forward = (_take(padded, axis, ghosts + 1, ghosts + 1 + n) - centre) / h
    return jnp.where(coefficient < 0, coefficient * backward, coefficient * forward)
