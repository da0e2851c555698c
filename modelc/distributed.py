"""Spreading a batch over devices and hosts (``jax.sharding``, ``jax.distributed``).

One code path for one CPU, one GPU, several GPUs and several machines: the
batch axis of an ensemble is laid out over a 1-D :class:`jax.sharding.Mesh`
of every device JAX sees (all hosts' devices after :func:`initialize`), the
solve is ``jit``-ted with that sharding, and results come back to every host
whole.  With one device the sharding is trivial and nothing is copied.
"""

from __future__ import annotations

import numpy as np
import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

__all__ = ["initialize", "batch_mesh", "batch_sharding", "shard_batch", "gather"]

AXIS = "batch"


def initialize(coordinator_address: str | None = None, num_processes: int | None = None,
               process_id: int | None = None, **kwargs) -> None:
    """Join a multi-host run (``jax.distributed.initialize``); call before any solve.

    On a cluster with a supported launcher (SLURM, Open MPI, Kubernetes, Cloud
    TPU) the arguments may be left out; otherwise every process passes the
    same ``coordinator_address`` ("host:port" of process 0), the number of
    processes and its own ``process_id``.
    """
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id, **kwargs)


def batch_mesh(devices=None) -> Mesh:
    """A 1-D mesh named ``"batch"`` over ``devices`` (default: every global device)."""
    devices = jax.devices() if devices is None else list(devices)
    return Mesh(np.asarray(devices), (AXIS,))


def batch_sharding(mesh: Mesh) -> NamedSharding:
    """Arrays split along their leading (batch) axis over the mesh."""
    return NamedSharding(mesh, PartitionSpec(AXIS))


def shard_batch(tree, mesh: Mesh):
    """Place host arrays (the same full batch on every process) split over the mesh.

    The leading axis must be a multiple of the mesh size.  Works across hosts:
    each process contributes the slices its own devices hold.
    """
    sharding = batch_sharding(mesh)

    def put(x):
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return jax.tree_util.tree_map(put, tree)


def gather(tree):
    """Every array whole on this host, as NumPy (an all-gather across processes)."""
    if jax.process_count() == 1:
        return jax.tree_util.tree_map(np.asarray, tree)
    from jax.experimental import multihost_utils
    return jax.tree_util.tree_map(
        lambda x: np.asarray(multihost_utils.process_allgather(x, tiled=True)), tree)
