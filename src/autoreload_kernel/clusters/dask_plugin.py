"""The worker plugin that hands every shipped module to Dask workers that join
later.

Dask unpickles a stored plugin as a worker starts, and a plugin that fails to
unpickle stops that worker from starting.  So this plugin travels as the source
text of this file, compiled by the worker's own Python: by reference, a worker
without autoreload-kernel could not unpickle it; by value, it would carry this
Python's bytecode, which a worker on another Python version cannot run.  On a
worker without autoreload-kernel it does nothing (the next edit says so).
"""

from distributed.diagnostics.plugin import WorkerPlugin

#: this file's text (filled in by ``dask.py`` in the kernel, by the pickle on a worker)
SOURCE = ""

#: Evaluated on the worker: run the source, make the plugin.
_BUILD = "[exec(source, ns), ns.update(SOURCE=source), ns['ShippedModules'](versions, kernel)][2]"


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

    def __reduce__(self):
        return eval, (_BUILD, {"source": SOURCE, "ns": {"__name__": "autoreload_kernel_plugin"},
                               "versions": self.versions, "kernel": self.kernel})
