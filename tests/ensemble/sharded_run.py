"""Helper run in subprocesses: a sharded ensemble compared with an unsharded one.

``python sharded_run.py`` (single process; XLA_FLAGS forces 4 CPU devices) or
``python sharded_run.py PROCESS_ID NUM_PROCESSES PORT`` (jax.distributed on
localhost, 2 CPU devices per process).  Prints ``OK <devices>`` on success.
"""

import os
import sys

import numpy as np

MODEL = """
model decay2
parameter k = 1.0, a = 0.5
state u = 1.0, v = 0.0
der(u) = -k*u
der(v) = k*u - a*v
simulate t = [0, 2], points = 5
"""


def _sine(x, t):
    """An external f(x, t)."""
    import jax.numpy as jnp
    return jnp.sin(x)


ARRAY_MODEL = """
model array_decay
parameter k = 1.0, a = 0.0
external f(x, t)
state x: array
der(x) = -k*x + a*f(x, t)
simulate t = [0, 2], points = 5
"""


def check_array_model(jax, modelc):
    """An array model: y0 batch with a leading member axis, externals bound once."""
    m = modelc.parse(ARRAY_MODEL)
    k = np.linspace(0.5, 2.0, 6)
    x0 = np.arange(6 * 4.0).reshape(6, 2, 2) + 1
    kw = dict(params={"k": k}, y0={"x": x0}, rtol=1e-9, atol=1e-12, externals={"f": _sine})
    sharded = m.ensemble(**kw)
    single = m.ensemble(**kw, devices=jax.local_devices()[:1])
    assert sharded.stats["devices"] == len(jax.devices()) > 1, sharded.stats
    np.testing.assert_allclose(sharded["x"], single["x"], rtol=1e-12, atol=1e-14)
    exact = x0[:, None] * np.exp(-k[:, None, None, None] * sharded.t[None, :, None, None])
    np.testing.assert_allclose(sharded["x"], exact, rtol=1e-7)


def main():
    import jax
    if len(sys.argv) > 1:
        pid, nproc, port = (int(x) for x in sys.argv[1:4])
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        import modelc.distributed as dist
        dist.initialize(f"127.0.0.1:{port}", nproc, pid)
    import modelc
    m = modelc.parse(MODEL)
    k = np.linspace(0.5, 2.0, 10)
    sharded = m.ensemble(params={"k": k}, rtol=1e-9, atol=1e-12)
    single = m.ensemble(params={"k": k}, rtol=1e-9, atol=1e-12, devices=jax.local_devices()[:1])
    assert sharded.stats["devices"] == len(jax.devices()) > 1, sharded.stats
    np.testing.assert_allclose(sharded.y, single.y, rtol=1e-12, atol=1e-14)
    exact = np.exp(-np.outer(k, sharded.t))
    np.testing.assert_allclose(sharded["u"], exact, rtol=1e-7)
    assert np.all(sharded.status == 0)
    check_array_model(jax, modelc)
    print("OK", len(jax.devices()), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    main()
