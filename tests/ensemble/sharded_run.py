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
    print("OK", len(jax.devices()), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    main()
