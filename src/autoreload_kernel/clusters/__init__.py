"""Cluster propagation: an edit that loaded in the kernel reaches every Dask
worker (and scheduler) and ipyparallel engine of the clients made in it.

This room listens to the engine's "module reloaded" events and never changes
the engine.  Pieces:

- ``shipping``: what travels (a module version: name, path under its root,
  bytes, previous and new fingerprint) and how it is collected in the kernel;
- ``worker``: what runs on a worker or engine: files in a private directory,
  edits applied in place by this project's own engine;
- ``dask`` and ``ipyparallel``: one adapter per cluster kind (their channels,
  their late-joiner hooks);
- ``room``: finds the clients made in this kernel, makes first contact, sends
  each edit, and tells the notebook what failed.

``distributed`` and ``ipyparallel`` are imported only once the user has.
"""

from .room import ClusterRoom

__all__ = ["ClusterRoom"]
