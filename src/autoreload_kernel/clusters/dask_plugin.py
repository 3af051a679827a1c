"""The worker plugin that hands every shipped module to Dask workers that join
later.  It travels *by value* (this module is registered with cloudpickle), so a
worker without autoreload-kernel can still unpickle it: there it does nothing,
and the next edit tells the user, instead of the worker failing to start."""

from distributed.diagnostics.plugin import WorkerPlugin


class ShippedModules(WorkerPlugin):
    def __init__(self, versions, kernel):
        self.versions = versions
        self.kernel = kernel

    def setup(self, worker):  # must never raise: dask would re-raise it in the client
        try:
            from autoreload_kernel.clusters.worker import receive
        except Exception:  # noqa: BLE001 - not installed here: said at the next edit
            return
        receive(self.versions, self.kernel)
